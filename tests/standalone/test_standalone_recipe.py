"""The torch-only trainer reads the config file itself: the paper config's
recipe is what the file says, and what the trainer does not reproduce is
refused by name."""
import pytest
from mmengine.config import Config

from standalone_helpers import PAPER_CONFIG
from tipsy_gan.standalone.recipe import (RecipeError, load_recipe,
                                         recipe_from_config)


def test_the_paper_recipe_is_read_from_its_config_file():
    recipe = load_recipe(PAPER_CONFIG)
    assert recipe.batch_size == 8192
    assert recipe.model['lifter']['width'] == 1024
    assert recipe.model['student']['width'] == 1024
    assert recipe.stages == dict(adversarial_epochs=600,
                                 distillation_epochs=100)
    assert recipe.averaging['ema_type'] == 'StochasticWeightAverage'
    assert recipe.averaging['begin_epoch'] == 300
    assert recipe.schedules is None and recipe.curve is None
    assert recipe.model['projection'] == dict(type='Orthographic')
    assert recipe.model['gan_loss'] == dict(type='BCEGANLoss', flip_prob=0.05)
    assert recipe.optim['generator'] == dict(type='Adam', lr=2e-4)
    # the checkpoints carry the config text, which export_student reads
    assert Config.fromstring(recipe.config_text,
                             '.py').model.student.width == 1024
    # --cfg-options merge as tools/train.py merges them
    assert load_recipe(PAPER_CONFIG, {'model.seed': 7}).step_seed == 7


def test_the_published_recipe_keeps_its_schedules_and_stopping_rule():
    recipe = load_recipe(PAPER_CONFIG.parent / 'tipsy_h36m_cpu_hands.py')
    assert recipe.curve['select'] == 'min_bone_spread'
    assert recipe.averaging is None
    assert recipe.schedules['student'][0]['type'] == 'CosineAnnealingLR'


@pytest.mark.parametrize('options, message', [
    ({'optim_wrapper.generator.clip_grad': dict(max_norm=1.0)},
     'plain OptimWrapper'),
    ({'optim_wrapper.student.optimizer.type': 'SGD'}, 'optimizer.type'),
    ({'param_scheduler': dict(student=[dict(type='OneCycleLR')])},
     'OneCycleLR'),
    ({'custom_hooks': [dict(type='EMAHook'), dict(type='EMAHook')]},
     'more than one EMAHook'),
    ({'custom_hooks': [dict(type='SomeOtherHook')]}, 'SomeOtherHook'),
    ({'custom_hooks': [dict(type='TIPSyCurveHook', interval=5)]},
     'metrics=False'),
    ({'custom_hooks': [dict(type='EMAHook'), dict(
        type='TIPSyCurveHook', interval=5, metrics=False,
        select='default')]}, 'pick the teacher'),
    ({'train_dataloader.drop_last': False}, 'drop_last'),
    ({'randomness.seed': None}, 'randomness.seed'),
    ({'model.gan_loss': dict(type='WassersteinLoss')}, 'WassersteinLoss'),
    ({'model.distillation': dict(cache_targets=True)}, 'cache_targets'),
])
def test_what_is_not_reproduced_is_refused(options, message):
    cfg = Config.fromfile(PAPER_CONFIG, import_custom_modules=False)
    cfg.merge_from_dict(options)
    with pytest.raises(RecipeError, match=message):
        recipe_from_config(cfg)
