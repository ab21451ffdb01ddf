"""Every TIPSy-GAN config loads, builds, says how to run it, and keeps the
stage lengths, stopping rule and scale consistent."""
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import tipsy_gan.mmpose_modules  # noqa: F401
from tipsy_gan.paths import REPO_ROOT

torch.set_num_threads(1)
METHODS = ['tipsy_h36m', 'parts_h36m', 'solo_h36m']
# the paper's recipe at paper scale and at CPU scale, and our CPU recipe
PAPER_RECIPE = METHODS + [f'{m}_cpu_paper' for m in METHODS]
TRAINED = PAPER_RECIPE + [f'{m}_cpu' for m in METHODS]
CONFIGS = TRAINED + [
    'supervised_h36m_cpu', 'tipsy_h36m_lifter', 'tipsy_h36m_cpu_lifter']


def load(name):
    return Config.fromfile(REPO_ROOT / 'configs' / f'{name}.py')


@pytest.mark.parametrize('name', CONFIGS)
def test_config_says_what_it_is_and_how_to_run_it(name):
    text = (REPO_ROOT / 'configs' / f'{name}.py').read_text()
    assert text.startswith('# ')
    assert re.search(rf'python tools/(train|test)\.py configs/{name}\.py',
                     text), name


@pytest.mark.parametrize('name', TRAINED)
def test_stages_and_stopping_rule_fit_together(name):
    cfg = load(name)
    model = cfg.model
    assert model.type == 'TIPSyGAN'
    assert cfg.train_cfg.max_epochs == (model.adversarial_epochs +
                                        model.distillation_epochs)
    stage = [h for h in cfg.custom_hooks if h.type == 'TIPSyStageHook']
    assert len(stage) == 1
    stopping = stage[0].stopping
    last = stopping.get('end', stopping.get('epoch',
                                            model.adversarial_epochs))
    assert last <= model.adversarial_epochs
    assert any(h.type == 'NonFiniteLossHook' for h in cfg.custom_hooks)
    assert (model.student is not None) == name.startswith('tipsy')
    assert (model.lifter.type == 'SoloLifter') == name.startswith('solo')
    assert cfg.optim_wrapper.constructor == 'TIPSyOptimWrapperConstructor'
    assert cfg.default_hooks.checkpoint.interval == 1
    widths = {model.lifter.width, model.discriminator.width}
    if model.student is not None:
        widths.add(model.student.width)
    assert len(widths) == 1
    paper = '_cpu' not in name
    assert widths == ({1024} if paper else {256})
    assert cfg.train_dataloader.batch_size == (8192 if paper else 256)
    assert ('fps50' if paper else 'fps10') in \
        cfg.train_dataloader.dataset.ann_file


@pytest.mark.parametrize('name', PAPER_RECIPE)
def test_paper_recipe_configs_keep_the_papers_losses_and_optimiser(name):
    from tipsy_gan.core.adversarial_step import AdversarialConfig
    cfg = load(name)
    assert AdversarialConfig(**cfg.model.get('adversarial', {})) == \
        AdversarialConfig()
    assert AdversarialConfig().projection == 'orthographic'
    for network in ('generator', 'discriminator'):
        optimizer = cfg.optim_wrapper[network].optimizer
        assert (optimizer.type, optimizer.lr) == ('Adam', 2e-4)


def test_cpu_recipe_differs_from_the_paper_only_by_named_options():
    from tipsy_gan.core.adversarial_step import AdversarialConfig
    ours = AdversarialConfig(**load('tipsy_h36m_cpu').model.adversarial)
    paper = AdversarialConfig()
    changed = {k for k in vars(paper) if getattr(ours, k) != getattr(paper, k)}
    assert changed == {'projection', 'depth_offset', 'renormalize_views',
                       'w_knee_prior', 'w_facing_prior'}
    # the paper's loss weights stay
    assert (ours.w_reprojection, ours.w_ninety, ours.w_adversarial) == (
        paper.w_reprojection, paper.w_ninety, paper.w_adversarial)


@pytest.mark.parametrize('name', ['tipsy_h36m_cpu', 'solo_h36m_cpu',
                                  'tipsy_h36m_cpu_paper',
                                  'supervised_h36m_cpu',
                                  'tipsy_h36m_cpu_lifter'])
def test_cpu_models_build(name):
    from mmpose.registry import MODELS
    init_default_scope('mmpose')
    model = MODELS.build(load(name).model)
    assert sum(p.numel() for p in model.parameters()) > 0


def test_lifter_config_matches_the_cpu_student():
    assert (load('tipsy_h36m_cpu_lifter').model.backbone.width ==
            load('tipsy_h36m_cpu').model.student.width)
    assert (load('tipsy_h36m_lifter').model.backbone.width ==
            load('tipsy_h36m').model.student.width)
