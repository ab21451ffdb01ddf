"""Every TIPSy-GAN config loads, builds, says how to run it, and keeps the
stage lengths, weight averaging and scale consistent."""
import re

import pytest

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import tipsy_gan.mmpose_modules  # noqa: F401
from tipsy_gan.paths import REPO_ROOT
from tipsy_gan.utils.epochs import averaging_iters

torch.set_num_threads(1)
METHODS = ['tipsy_h36m', 'parts_h36m', 'solo_h36m']
# the paper's recipe at paper scale and at CPU scale, and our CPU recipe
PAPER_RECIPE = METHODS + [f'{m}_cpu_paper' for m in METHODS]
TRAINED = PAPER_RECIPE + [f'{m}_cpu' for m in METHODS]
INSPECTION = ['inspection/parts_h36m_cpu_4ep', 'inspection/solo_h36m_cpu_4ep']
CONFIGS = TRAINED + INSPECTION + [
    'supervised_h36m_cpu', 'tipsy_h36m_lifter', 'tipsy_h36m_cpu_lifter',
    'research/tipsy_h36m_cpu_val', 'tipsy_3dhp_test']
# eq. 15's accuracy study under the validation protocol (docs/research.md)
ALL_ANGLE_ARMS = ['research/tipsy_h36m_cpu_val_layernorm',
                  'research/tipsy_h36m_cpu_val_all_angle',
                  'research/tipsy_h36m_cpu_val_all_angle_only']
CONFIGS += ALL_ANGLE_ARMS


def load(name):
    return Config.fromfile(REPO_ROOT / 'configs' / f'{name}.py')


@pytest.mark.parametrize('name', CONFIGS)
def test_config_says_what_it_is_and_how_to_run_it(name):
    text = (REPO_ROOT / 'configs' / f'{name}.py').read_text()
    assert text.startswith('# ')
    assert re.search(rf'python tools/(train|test)\.py configs/{name}\.py',
                     text), name


def iterations_per_epoch(cfg, converted_h36m):
    import numpy as np
    ann = converted_h36m / cfg.train_dataloader.dataset.ann_file
    return len(np.load(ann)['imgname']) // cfg.train_dataloader.batch_size


@pytest.mark.parametrize('name', TRAINED)
def test_stages_and_averaging_fit_together(name, converted_h36m):
    cfg = load(name)
    model = cfg.model
    assert model.type == 'TIPSyGAN'
    assert cfg.train_cfg.type == 'TIPSyTrainLoop'
    assert 'max_epochs' not in cfg.train_cfg
    adversarial = cfg.train_cfg.adversarial_epochs
    assert adversarial >= 1
    assert (cfg.train_cfg.get('distillation_epochs', 0) > 0) == (
        model.student is not None)
    # the teacher (or the evaluated lifter) is a weight average that begins
    # inside the adversarial stage
    emas = [h for h in cfg.custom_hooks
            if h.type in ('EMAHook', 'TIPSyEMAHook')]
    assert len(emas) == 1 and emas[0].update_buffers
    if emas[0].type == 'TIPSyEMAHook':
        per_epoch = iterations_per_epoch(cfg, converted_h36m)
        begin, _ = averaging_iters(emas[0].begin_epochs, per_epoch,
                                   emas[0].get('interval'),
                                   emas[0].get('interval_epochs'))
        assert begin <= adversarial * per_epoch
    else:
        assert 1 <= emas[0].begin_epoch <= adversarial
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


def test_cpu_recipes_average_where_their_comments_say(converted_h36m):
    """942 iterations an epoch at batch 256: the CPU recipe averages epoch 2
    from its 5th iteration, every 5th; the paper recipe at CPU scale takes
    the lifters after epochs 3 and 4 (TIPSyEMAHook converts the epochs into
    the iterations these recipes once counted by hand)."""
    cpu, paper = load('tipsy_h36m_cpu'), load('tipsy_h36m_cpu_paper')
    assert iterations_per_epoch(cpu, converted_h36m) == 942
    ema = {h.type: h for h in cpu.custom_hooks}['TIPSyEMAHook']
    assert averaging_iters(ema.begin_epochs, 942, ema.get('interval'),
                           ema.get('interval_epochs')) == (942 + 5, 5)
    ema = {h.type: h for h in paper.custom_hooks}['TIPSyEMAHook']
    assert averaging_iters(ema.begin_epochs, 942, ema.get('interval'),
                           ema.get('interval_epochs')) == (3 * 942, 942)
    assert paper.train_cfg.adversarial_epochs == 4


def build_model(name):
    from mmpose.registry import MODELS
    init_default_scope('mmpose')
    return MODELS.build(load(name).model)


SCALARS = ('w_adversarial', 'w_reprojection', 'w_ninety', 'max_azimuth',
           'max_elevation', 'batch_views', 'view_bn_stats',
           'renormalize_views')


@pytest.mark.parametrize('name', PAPER_RECIPE)
def test_paper_recipe_configs_keep_the_papers_losses_and_optimiser(name):
    from tipsy_gan.core.adversarial_step import AdversarialConfig
    from tipsy_gan.core.gan_losses import BCEGANLoss
    from tipsy_gan.core.geometry import Orthographic
    cfg = load(name)
    ours, paper = build_model(name).config, AdversarialConfig()
    assert {k: getattr(ours, k) for k in SCALARS} == \
        {k: getattr(paper, k) for k in SCALARS}
    assert type(ours.projection) is Orthographic
    assert type(ours.gan_loss) is BCEGANLoss
    assert (ours.gan_loss.flip_prob, ours.gan_loss.real_label) == (0.05, 1.0)
    assert ours.priors == ()
    for network in ('generator', 'discriminator', 'student'):
        optimizer = cfg.optim_wrapper[network].optimizer
        assert (optimizer.type, optimizer.lr) == ('Adam', 2e-4)


def test_cpu_recipe_differs_from_the_paper_only_by_named_options():
    from tipsy_gan.core.adversarial_step import AdversarialConfig
    ours, paper = build_model('tipsy_h36m_cpu').config, AdversarialConfig()
    changed = {k for k in SCALARS if getattr(ours, k) != getattr(paper, k)}
    assert changed == {'renormalize_views'}
    # speed, not method: bf16 where the CPU has it, fused Adam (issue 19)
    assert (ours.network_dtype, paper.network_dtype) == ('auto', None)
    assert repr(ours.projection) == 'Perspective(depth_offset=5.0)'
    assert [(type(p).__name__, p.weight) for p in ours.priors] == [
        ('KneeBendPrior', 1.0), ('FacingPrior', 1.0)]
    assert ours.gan_loss.flip_prob == 0.05
    optim = load('tipsy_h36m_cpu').optim_wrapper
    assert (optim.generator.optimizer.lr, optim.discriminator.optimizer.lr,
            optim.student.optimizer.lr) == (2e-4, 5e-5, 1e-3)
    assert all(optim[n].optimizer.fused for n in
               ('generator', 'discriminator', 'student'))


@pytest.mark.parametrize('name', INSPECTION)
def test_inspection_configs_keep_the_raw_lifter_in_their_checkpoints(name):
    cfg = load(name)
    assert not any(h.type == 'EMAHook' for h in cfg.custom_hooks)
    assert cfg.train_cfg.adversarial_epochs == 4
    recipe = load(name.split('/')[1].replace('_4ep', ''))
    assert cfg.model == recipe.model


@pytest.mark.parametrize('name', ['tipsy_h36m_cpu', 'solo_h36m_cpu',
                                  'tipsy_h36m_cpu_paper',
                                  'supervised_h36m_cpu',
                                  'tipsy_h36m_cpu_lifter'])
def test_cpu_models_build(name):
    model = build_model(name)
    assert sum(p.numel() for p in model.parameters()) > 0


def test_lifter_config_matches_the_cpu_student():
    assert (load('tipsy_h36m_cpu_lifter').model.backbone.width ==
            load('tipsy_h36m_cpu').model.student.width)
    assert (load('tipsy_h36m_lifter').model.backbone.width ==
            load('tipsy_h36m').model.student.width)


def test_all_angle_arms_differ_from_the_research_recipe_by_their_options():
    """The control (LayerNorm generators), eq. 15 beside the 90° terms, eq.
    15 in place of them: each the research recipe plus its named options,
    trained on S1/S5/S6/S7 like it."""
    base = load('research/tipsy_h36m_cpu_val')
    arms = [load(name) for name in ALL_ANGLE_ARMS]
    expected = [dict(), dict(terms=[dict(type='AllAngleConsistency',
                                         weight=3.0)])]
    expected.append(dict(expected[1], adversarial=dict(
        base.model.adversarial, w_ninety=0.0)))
    for cfg, extra in zip(arms, expected):
        want = Config(dict(model=base.model)).model
        want.lifter.norm = 'layer'
        want.update(extra)
        assert cfg.model == want
        assert (cfg.train_dataloader.dataset.subjects ==
                base.train_dataloader.dataset.subjects)
    model = build_model(ALL_ANGLE_ARMS[2])
    assert [t.name for t in model.config.terms] == ['all_angle']
    assert model.config.w_ninety == 0.0
    assert any(isinstance(m, torch.nn.LayerNorm)
               for m in model.lifter.modules())


LN_RECIPE = ['history/tipsy_h36m_cpu_ln', 'history/parts_h36m_cpu_ln',
             'history/solo_h36m_cpu_ln']


@pytest.mark.parametrize('name', LN_RECIPE)
def test_layernorm_recipe_configs_say_how_to_run_them(name):
    text = (REPO_ROOT / 'configs' / f'{name}.py').read_text()
    assert text.startswith('# ')
    assert f'python tools/train.py configs/{name}.py' in text


def test_layernorm_recipe_differs_from_the_bone_recipe_by_its_options():
    """Issue 18's recipe: LayerNorm generators, a BatchNorm student, the
    sign priors at weight 3, 8 adversarial epochs and 5 of distillation,
    the rest of tipsy_h36m_cpu_bone.py."""
    ln = load('history/tipsy_h36m_cpu_ln')
    bone = load('history/tipsy_h36m_cpu_bone')
    assert ln.model.lifter.norm == 'layer'
    assert ln.model.student.get('norm', 'batch') == 'batch'
    weights = {p.type: p.weight for p in ln.model.priors}
    assert weights == {'KneeBendPrior': 3.0, 'FacingPrior': 3.0,
                       'BoneProportionPrior': 1.0}
    for key in ('discriminator', 'projection', 'adversarial', 'student'):
        assert ln.model[key] == bone.model[key], key
    assert ln.custom_hooks == bone.custom_hooks
    assert (ln.train_cfg.adversarial_epochs,
            bone.train_cfg.adversarial_epochs) == (8, 4)
    assert ln.train_cfg.distillation_epochs == 5
    model = build_model('history/tipsy_h36m_cpu_ln')
    norms = {type(m).__name__ for m in model.lifter.modules()}
    assert 'LayerNorm' in norms and 'BatchNorm1d' not in norms
    assert any(isinstance(m, torch.nn.BatchNorm1d)
               for m in model.student.modules())
    # the parts and solo arms change only what they must
    parts = load('history/parts_h36m_cpu_ln')
    solo = load('history/solo_h36m_cpu_ln')
    assert parts.model.student is None and solo.model.student is None
    assert parts.model.lifter == ln.model.lifter
    assert solo.model.lifter.type == 'SoloLifter'
    assert solo.model.lifter.norm == 'layer'


def test_hands_recipe_differs_from_the_layernorm_recipe_by_its_options():
    """Issue 18's final recipe: the LayerNorm recipe plus the hands prior
    (third, at the sign priors' weight), 10 distillation epochs instead of
    5, and a student learning rate that anneals over exactly them."""
    hands, ln = load('tipsy_h36m_cpu_hands'), load('history/tipsy_h36m_cpu_ln')
    assert [(p.type, p.weight) for p in hands.model.priors] == [
        ('KneeBendPrior', 3.0), ('FacingPrior', 3.0),
        ('HandsForwardPrior', 3.0), ('BoneProportionPrior', 1.0)]
    for key in set(ln.model) - {'priors'}:
        assert hands.model[key] == ln.model[key], key
    assert hands.train_cfg == dict(ln.train_cfg, distillation_epochs=10)
    assert 'param_scheduler' not in ln
    adversarial = hands.train_cfg.adversarial_epochs
    distillation = hands.train_cfg.distillation_epochs
    [cosine] = hands.param_scheduler.student
    assert (cosine.type, cosine.begin, cosine.end, cosine.T_max,
            cosine.eta_min) == ('CosineAnnealingLR', adversarial,
                                adversarial + distillation, distillation, 0)
    for name in ('generator', 'discriminator'):
        assert [s.type for s in hands.param_scheduler[name]] == ['ConstantLR']
        assert hands.param_scheduler[name][0].factor == 1.0
    parts, solo = load('parts_h36m_cpu_hands'), load('solo_h36m_cpu_hands')
    assert parts.model.student is None and solo.model.student is None
    assert parts.model.priors == hands.model.priors == solo.model.priors
    assert solo.model.lifter.type == 'SoloLifter'
    assert (parts.train_cfg.adversarial_epochs,
            solo.train_cfg.distillation_epochs) == (adversarial, 0)


def _bases(path):
    """A config file's ``_base_`` entries, read without running it."""
    import ast
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(
                getattr(t, 'id', None) == '_base_' for t in node.targets):
            bases = ast.literal_eval(node.value)
            return [bases] if isinstance(bases, str) else list(bases)
    return []


def _level(path):
    """1 for a file with no base (an ``mmpose::`` base counts as level 1),
    else 1 + its deepest base's level."""
    return 1 + max((1 if base.startswith('mmpose::') else
                    _level((path.parent / base).resolve())
                    for base in _bases(path)), default=0)


def test_configs_are_at_most_three_levels_deep():
    """Issue 20: a leaf inherits one recipe (and at most level-1 pieces); a
    recipe (configs/_base_/recipe_*.py) inherits only level-1 pieces."""
    configs = REPO_ROOT / 'configs'
    levels = {p.relative_to(configs).as_posix(): _level(p)
              for p in configs.rglob('*.py')}
    assert max(levels.values()) <= 3, {
        k: v for k, v in levels.items() if v > 3}
    for path in configs.glob('_base_/recipe_*.py'):
        assert levels[path.relative_to(configs).as_posix()] == 2, path
    for path in configs.rglob('*.py'):
        recipes = [b for b in _bases(path) if '_base_/recipe_' in b]
        assert len(recipes) <= 1, path
        pieces = [b for b in _bases(path) if b not in recipes]
        for base in pieces:
            if not base.startswith('mmpose::'):
                assert _level((path.parent / base).resolve()) == 1, (
                    path, base)


@pytest.mark.parametrize('path', sorted(
    (REPO_ROOT / 'configs' / '_base_').glob('recipe_*.py')),
    ids=lambda p: p.name)
def test_a_recipe_sets_each_list_once(path):
    """custom_hooks and model.priors are each written once in a recipe."""
    import ast
    tree = ast.parse(path.read_text())
    hooks = [node for node in tree.body if isinstance(node, ast.Assign)
             and any(getattr(t, 'id', None) == 'custom_hooks'
                     for t in node.targets)]
    priors = [node for node in ast.walk(tree)
              if isinstance(node, ast.keyword) and node.arg == 'priors']
    assert len(hooks) <= 1 and len(priors) <= 1
    text = path.read_text()
    assert text.startswith('# ') and 'recipe' in text.splitlines()[0].lower()
    assert '# Leaves: ' in text


def test_the_train_loader_normalises_with_the_test_codec():
    """_base_/tipsy_gan.py writes out h36m_tipsy_data.py's codec (a level-1
    piece cannot read another): the two stay the same."""
    base = REPO_ROOT / 'configs' / '_base_'
    gan = Config.fromfile(base / 'tipsy_gan.py')
    data = Config.fromfile(base / 'h36m_tipsy_data.py')
    assert gan.train_dataloader.dataset.codec == data.codec


def test_the_3dhp_test_loads_the_cpu_student():
    assert load('tipsy_3dhp_test').model == load('tipsy_h36m_cpu_lifter').model
