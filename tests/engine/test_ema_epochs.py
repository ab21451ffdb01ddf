"""TIPSyEMAHook: EMAHook's start and interval given in epochs."""
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

import tipsy_gan.mmpose_modules  # noqa: F401
from tipsy_gan.engine.hooks import TIPSyEMAHook
from tipsy_gan.utils.epochs import averaging_iters, epochs_to_iters
from tipsy_gan_helpers import small_h36m, tiny_config


def test_the_hand_counted_starts_of_the_recipes():
    # what the recipes counted by hand before: 759 + 5, 942 + 5, 3 * 942
    assert averaging_iters(1, 759, interval=5) == (764, 5)
    assert averaging_iters(1, 942, interval=5) == (947, 5)
    assert averaging_iters(2, 942, interval_epochs=1) == (3 * 942, 942)
    assert epochs_to_iters(0.25, 942) == 236 and epochs_to_iters(0.25, 759) \
        == 190
    with pytest.raises(ValueError, match='not both'):
        averaging_iters(1, 10, interval=5, interval_epochs=1)
    with pytest.raises(ValueError, match='begin_epochs'):
        TIPSyEMAHook(begin_epochs=1, interval=5, begin_iter=3)


def test_the_runner_converts_from_the_loader_length(tmp_path,
                                                    tmp_path_factory):
    data_root = small_h36m(tmp_path_factory)
    hook = ("dict(type='TIPSyEMAHook', ema_type='StochasticWeightAverage', "
            "begin_epochs=1.5, interval_epochs=0.25, update_buffers=True)")
    config = tiny_config(tmp_path / 'ema.py', data_root, averaging=hook,
                         width=16, batch_size=32, train_poses=512,
                         adversarial_epochs=2, distillation_epochs=0)
    cfg = Config.fromfile(config)
    cfg.work_dir = str(tmp_path / 'run')
    init_default_scope('mmpose')
    runner = Runner.from_cfg(cfg)
    runner.train()
    [ema] = [h for h in runner.hooks if isinstance(h, TIPSyEMAHook)]
    # 16 iterations an epoch: from 24 + 4, every 4
    assert (ema.begin_iter, ema.ema_cfg['interval']) == (28, 4)
    # the average was fed from iteration 28 to 32 (it keeps every 4th)
    assert int(ema.ema_model.steps) == 32 - 28 + 1
