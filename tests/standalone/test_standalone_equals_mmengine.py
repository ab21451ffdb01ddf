"""tools/train_standalone.py (torch + core only) trains exactly what
tools/train.py trains: for the same tiny config, the same losses at every
step and the same final weights, bit for bit on the CPU (init order and
seeding, DefaultSampler's order, the step generator, EMAHook's average and
the teacher at the switch)."""
import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

import tipsy_gan.mmpose_modules  # noqa: F401
from standalone_helpers import load_tool, read_log, run_standalone
from tipsy_gan.paths import REPO_ROOT
from tipsy_gan.utils.checkpoint_compat import load_local_checkpoint
from tipsy_gan_helpers import small_h36m, tiny_config

torch.set_num_threads(1)

CASES = {
    # the CPU recipe (perspective, priors, renormalised views) with SWA
    # from an iteration, every 3rd update averaging, BN statistics included
    'cpu_swa': ('tipsy_h36m_cpu.py',
                "dict(type='EMAHook', ema_type='StochasticWeightAverage', "
                "begin_iter=5, interval=3, update_buffers=True)"),
    # TIPSyEMAHook: the same SWA given in epochs (from epoch 1's end, every
    # 3rd iteration), converted by each trainer
    'cpu_swa_epochs': ('tipsy_h36m_cpu.py',
                       "dict(type='TIPSyEMAHook', "
                       "ema_type='StochasticWeightAverage', begin_epochs=1, "
                       "interval=3, update_buffers=True)"),
    # the paper's recipe (orthographic, fps50 frames) with an EMA from an
    # epoch, parameters only (buffers follow the lifter)
    'paper_ema': ('tipsy_h36m.py',
                  "dict(type='EMAHook', ema_type='ExponentialMovingAverage', "
                  "begin_epoch=2, momentum=0.1, update_buffers=False)"),
}


class RecordOutputs(Hook):
    """Every iteration's train_step outputs, as floats."""

    priority = 'LOWEST'

    def __init__(self):
        self.records = []

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.records.append({k: float(v) for k, v in outputs.items()})


def _both_trainers(tmp_path, config, epochs):
    """Train ``config`` with tools/train.py's Runner (in process) and with
    tools/train_standalone.py from the exported recipe; assert the same
    losses at every step and the same final weights, bit for bit. Returns
    the standalone run's log."""
    cfg = Config.fromfile(config)
    init_default_scope('mmpose')

    # the recipe and the pose file, as the CPU-side tools write them
    recipe = tmp_path / 'recipe.json'
    load_tool("export_recipe").main([str(config), str(recipe)])
    data = tmp_path / 'poses.npz'
    load_tool('prepare_data').write_from_dataset_config(
        cfg.train_dataloader.dataset, data)

    # the mmengine path, in process, recording every step
    cfg.work_dir = str(tmp_path / 'runner')
    cfg.experiment_name = f'standalone_equality_{config.stem}'
    runner = Runner.from_cfg(cfg)
    recorder = RecordOutputs()
    runner.register_hook(recorder, 'LOWEST')
    runner.train()
    expected = load_local_checkpoint(
        str(tmp_path / 'runner' / f'epoch_{epochs}.pth'))

    out = tmp_path / 'standalone'
    result = run_standalone(tmp_path, '--recipe', recipe, '--data', data,
                            '--out-dir', out, '--device', 'cpu',
                            '--log-every', 1)
    assert result.returncode == 0, result.stderr[-4000:]
    log = read_log(out / 'train_log.jsonl')
    steps = [r for r in log if r['event'] == 'train']
    assert len(steps) == len(recorder.records) == runner.train_loop.max_iters
    for i, (want, got) in enumerate(zip(recorder.records, steps)):
        assert got['iter'] == i + 1
        assert got['losses'] == want, f'iteration {i + 1}'  # bit-identical

    got = torch.load(out / f'epoch_{epochs}.pth', weights_only=True)
    assert list(got['state_dict']) == list(expected['state_dict'])
    for key, value in expected['state_dict'].items():
        assert torch.equal(got['state_dict'][key], value), key
    key = 'tipsy_step_random_state'
    assert torch.equal(got[key]['state'], expected[key]['state'])
    assert got['meta']['epoch'] == expected['meta']['epoch'] == epochs
    return log


@pytest.mark.parametrize('case', sorted(CASES))
def test_same_losses_and_weights_as_the_runner(case, tmp_path,
                                               tmp_path_factory):
    base, averaging = CASES[case]
    data_root = small_h36m(tmp_path_factory)
    config = tiny_config(tmp_path / f'{case}.py', data_root, base=base,
                         averaging=averaging, width=16, batch_size=64,
                         train_poses=512)
    log = _both_trainers(tmp_path, config, epochs=3)
    switch = [r for r in log if r['event'] == 'switch'][0]
    assert 'ExponentialMovingAverage' in switch['teacher'] or \
        'StochasticWeightAverage' in switch['teacher']


def _training_configs():
    """Every config that trains TIPSy, at the top of configs/ (the user's
    list) and in configs/history/ (earlier recipes, kept for their rows)."""
    names = []
    root = REPO_ROOT / 'configs'
    for path in sorted(root.glob('*.py')) + sorted(root.glob('history/*.py')):
        cfg = Config.fromfile(path)
        if (cfg.get('train_cfg') or {}).get('type') == 'TIPSyTrainLoop':
            names.append(str(path.relative_to(root)))
    return names


@pytest.mark.parametrize('base', _training_configs())
def test_every_top_level_recipe_trains_the_same(base, tmp_path,
                                                tmp_path_factory):
    """Each shipped recipe's model (networks, priors, terms, projection,
    network dtype), optimisers, data order and stages, at toy size. The
    label-free pick (TIPSyCurveHook) and learning-rate schedules are left
    out here: the torch-only trainer does not reproduce them and its
    exporter refuses a config that has them (test below)."""
    data_root = small_h36m(tmp_path_factory)
    student = base.startswith('tipsy')
    config = tiny_config(
        tmp_path / base.replace('/', '_'), data_root, base=base,
        adversarial_epochs=1,
        distillation_epochs=1 if student else 0, width=16, batch_size=64,
        train_poses=256, extra='param_scheduler = None')
    _both_trainers(tmp_path, config, epochs=2 if student else 1)


def test_the_exporter_names_what_it_does_not_reproduce(tmp_path):
    export = load_tool('export_recipe')
    for name, reason in (('tipsy_h36m_cpu_hands.py', 'param_scheduler'),
                         ('history/tipsy_h36m_cpu_ln.py', 'TIPSyCurveHook'),
                         ('tipsy_h36m_cpu_lifter.py', 'train_cfg')):
        with pytest.raises(SystemExit, match=reason):
            export.main([str(REPO_ROOT / 'configs' / name),
                         str(tmp_path / 'recipe.json')])
    assert not (tmp_path / 'recipe.json').exists()
