"""tools/train_standalone.py (torch, mmengine's config and schedulers, and
tipsy_gan's core) trains exactly what tools/train.py trains from the same
config file: the same losses at every step, the same final weights, curve
and picked lifter, bit for bit on the CPU (init order and seeding,
DefaultSampler's order, the step generator, the learning-rate schedules,
EMAHook's average, the label-free stopping rule's pick and the teacher at
the switch)."""
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

# the learning rates moving in every stage: the generator's on a cosine
# over the adversarial epochs (per iteration), the discriminator's stepped
# per epoch, the student's on a cosine over its epoch
SCHEDULES = """param_scheduler = dict(
    generator=[dict(type='CosineAnnealingLR', T_max=2, eta_min=0.0, begin=0,
                    end=2, by_epoch=True, convert_to_iter_based=True)],
    discriminator=[dict(type='LinearLR', start_factor=1.0, end_factor=0.5,
                        begin=0, end=2, by_epoch=True)],
    student=[dict(type='CosineAnnealingLR', T_max=1, eta_min=0.0, begin=2,
                  end=3, by_epoch=True, convert_to_iter_based=True)])"""

CASES = {
    # the CPU recipe (perspective, priors, renormalised views) with SWA
    # from an iteration, every 3rd update averaging, BN statistics included
    'cpu_swa': dict(base='tipsy_h36m_cpu.py', averaging=(
        "dict(type='EMAHook', ema_type='StochasticWeightAverage', "
        "begin_iter=5, interval=3, update_buffers=True)")),
    # TIPSyEMAHook: the same SWA given in epochs (from epoch 1's end, every
    # 3rd iteration), converted by each trainer
    'cpu_swa_epochs': dict(base='tipsy_h36m_cpu.py', averaging=(
        "dict(type='TIPSyEMAHook', ema_type='StochasticWeightAverage', "
        "begin_epochs=1, interval=3, update_buffers=True)")),
    # the paper's recipe (orthographic, fps50 frames) with an EMA from an
    # epoch, parameters only (buffers follow the lifter)
    'paper_ema': dict(base='tipsy_h36m.py', averaging=(
        "dict(type='EMAHook', ema_type='ExponentialMovingAverage', "
        "begin_epoch=2, momentum=0.1, update_buffers=False)")),
    # the published recipe's hooks (the curve and its stopping rule's pick)
    # under schedules that move in every stage
    'hands_schedules': dict(base='tipsy_h36m_cpu_hands.py', keep_hooks=True,
                            extra=SCHEDULES),
}


class RecordOutputs(Hook):
    """Every iteration's train_step outputs, as floats."""

    priority = 'LOWEST'

    def __init__(self):
        self.records = []

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.records.append({k: float(v) for k, v in outputs.items()})


def _curve_hook(cfg):
    hooks = [h for h in cfg.get('custom_hooks') or []
             if h.get('type') == 'TIPSyCurveHook']
    return hooks[0] if hooks else None


def _both_trainers(tmp_path, config, epochs):
    """Train ``config`` with tools/train.py's Runner (in process) and with
    tools/train_standalone.py on the same file; assert the same losses at
    every step, the same final weights and, with a curve hook, the same
    curve and picked lifter, bit for bit. Returns the standalone run's
    log."""
    cfg = Config.fromfile(config)
    init_default_scope('mmpose')

    # the pose files, as the CPU-side tool writes them
    prepare = load_tool('prepare_data')
    data = tmp_path / 'poses.npz'
    prepare.write_from_dataset_config(cfg.train_dataloader.dataset, data)
    heldout = []
    if _curve_hook(cfg) is not None:
        prepare.write_heldout(cfg, tmp_path / 'heldout.npz')
        heldout = ['--heldout', tmp_path / 'heldout.npz']

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
    result = run_standalone(tmp_path, config, '--data', data, *heldout,
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

    hook = _curve_hook(cfg)
    if hook is not None:
        assert (out / 'curve.csv').read_text() == \
            (tmp_path / 'runner' / 'curve.csv').read_text()
    if hook is not None and hook.get('select') is not None:
        want = torch.load(tmp_path / 'runner' / 'picked_lifter.pth',
                          weights_only=True)
        picked = torch.load(out / 'picked_lifter.pth', weights_only=True)
        assert picked['meta'] == want['meta']
        assert list(picked['state_dict']) == list(want['state_dict'])
        for key, value in want['state_dict'].items():
            assert torch.equal(picked['state_dict'][key], value), key
    return log


@pytest.mark.parametrize('case', sorted(CASES))
def test_same_losses_and_weights_as_the_runner(case, tmp_path,
                                               tmp_path_factory):
    data_root = small_h36m(tmp_path_factory)
    config = tiny_config(tmp_path / f'{case}.py', data_root, width=16,
                         batch_size=64, train_poses=512, **CASES[case])
    log = _both_trainers(tmp_path, config, epochs=3)
    switch = [r for r in log if r['event'] == 'switch'][0]
    assert any(kind in switch['teacher'] for kind in (
        'ExponentialMovingAverage', 'StochasticWeightAverage',
        'picked by the stopping rule'))


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
    """Each shipped recipe whole, at toy size: its model (networks, priors,
    terms, projection, network dtype), optimisers, schedules, data order,
    stages and hooks (the weight average, or the curve and its stopping
    rule's pick)."""
    data_root = small_h36m(tmp_path_factory)
    student = base.startswith('tipsy')
    config = tiny_config(
        tmp_path / base.replace('/', '_'), data_root, base=base,
        adversarial_epochs=1,
        distillation_epochs=1 if student else 0, width=16, batch_size=64,
        train_poses=256, keep_hooks=True)
    _both_trainers(tmp_path, config, epochs=2 if student else 1)


def test_a_config_it_cannot_train_is_refused_by_name(tmp_path):
    """The torch-only trainer names what it does not reproduce, and writes
    nothing."""
    for name, reason in (('tipsy_h36m_cpu_lifter.py', 'train_cfg'),
                         ('research/tipsy_h36m_cpu_val_signs3_layernorm_'
                          'distill.py', 'metrics=False')):
        out = tmp_path / name.replace('/', '_')
        result = run_standalone(tmp_path, REPO_ROOT / 'configs' / name,
                                '--data', 'unused.npz', '--out-dir', out)
        assert result.returncode == 1, result.stderr[-2000:]
        assert reason in result.stderr
        assert not any(p.suffix == '.pth' for p in out.glob('*'))
