"""tools/gpu/export_recipe.py: the tracked paper recipe is what the config
says today, and configs with what the standalone trainer does not
reproduce are refused by name."""
import json

import pytest
from mmengine.config import Config

from standalone_helpers import RECIPE, load_tool
from tipsy_gan.paths import REPO_ROOT
from tipsy_gan.standalone.recipe import RecipeError, load_recipe, validate

export = load_tool('export_recipe')


def paper_config():
    return Config.fromfile(REPO_ROOT / 'configs' / 'tipsy_h36m.py')


def test_the_tracked_paper_recipe_matches_the_config():
    fresh = json.loads(json.dumps(export.export_recipe(
        paper_config(), 'configs/tipsy_h36m.py')))
    tracked = json.loads(RECIPE.read_text())
    assert tracked == fresh, ('tools/gpu/recipes/tipsy_h36m.json is stale: '
                              'python tools/gpu/export_recipe.py '
                              'configs/tipsy_h36m.py '
                              'tools/gpu/recipes/tipsy_h36m.json')
    recipe = load_recipe(RECIPE)
    assert recipe.batch_size == 8192
    assert recipe.model['lifter']['width'] == 1024
    assert recipe.model['student']['width'] == 1024
    assert recipe.stages == dict(adversarial_epochs=600,
                                 distillation_epochs=100)
    assert recipe.averaging == dict(type='StochasticWeightAverage',
                                    begin_epoch=300, begin_iter=0,
                                    interval=1, update_buffers=True)
    assert recipe.model['projection'] == dict(type='Orthographic')
    assert recipe.model['gan_loss'] == dict(type='BCEGANLoss', flip_prob=0.05)
    assert recipe.optim['generator'] == dict(type='Adam', lr=2e-4)
    # the checkpoints carry the config text, which export_student reads
    assert Config.fromstring(recipe.config_text,
                             '.py').model.student.width == 1024


@pytest.mark.parametrize('options, message', [
    ({'optim_wrapper.generator.clip_grad': dict(max_norm=1.0)},
     'plain OptimWrapper'),
    ({'optim_wrapper.student.optimizer.type': 'SGD'}, 'optimizer.type'),
    ({'param_scheduler': [dict(type='ConstantLR')]}, 'param_scheduler'),
    ({'custom_hooks': [dict(type='EMAHook'), dict(type='EMAHook')]},
     'more than one EMAHook'),
    ({'custom_hooks': [dict(type='SomeOtherHook')]}, 'SomeOtherHook'),
    ({'train_dataloader.drop_last': False}, 'drop_last'),
    ({'randomness.seed': None}, 'randomness.seed'),
])
def test_what_is_not_reproduced_is_refused(options, message):
    cfg = paper_config()
    cfg.merge_from_dict(options)
    with pytest.raises(export.RecipeExportError, match=message):
        export.export_recipe(cfg)


def test_the_trainer_refuses_another_recipe_version():
    data = json.loads(RECIPE.read_text())
    data['version'] = 99
    with pytest.raises(RecipeError, match='version'):
        validate(data)
    data = json.loads(RECIPE.read_text())
    data['model']['gan_loss'] = dict(type='WassersteinLoss')
    with pytest.raises(RecipeError, match='WassersteinLoss'):
        validate(data)
