"""TIPSyCurveHook: learning curves that change nothing, resume, and pick the
teacher by a label-free stopping rule (issue 11), with mmengine's Runner on
a small slice of converted Human3.6M."""
import copy
import math
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

import tipsy_gan.mmpose_modules  # noqa: F401
from tipsy_gan.research.stopping import select
from tipsy_gan.engine.curve_hook import CURVE_METRICS
from tipsy_gan.research.curve import read_curve, snapshot_path
from tipsy_gan_helpers import small_h36m, tiny_config

from test_tipsy_engine import LifterIterationSnapshots

torch.set_num_threads(1)

# 512 poses at batch 64: 8 iterations an epoch; a point every 3 and at the
# last adversarial iteration. The small conversion has no S8: the curve
# scores its test subject (S9), the first 400 poses.
CURVE = "dict(type='TIPSyCurveHook', interval=3, split='test'{})"


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    return small_h36m(tmp_path_factory)


def make_runner(tmp_path, data_root, curve=None, resume=None, **config):
    extra = config.pop('extra', '')
    if curve is not None:
        extra += ("\ncustom_hooks = [dict(type='SyncBuffersHook'), "
                  f"dict(type='NonFiniteLossHook'), {curve}]\n")
    tmp_path.mkdir(parents=True, exist_ok=True)
    cfg = Config.fromfile(tiny_config(tmp_path / 'config.py', data_root,
                                      extra=extra, **config))
    cfg.work_dir = str(tmp_path / 'work')
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    if resume:
        cfg.resume, cfg.load_from = True, str(resume)
    return Runner.from_cfg(cfg)


def test_curve_records_points_and_changes_no_weight(tmp_path, data_root):
    plain = make_runner(tmp_path / 'plain', data_root, adversarial_epochs=2,
                        distillation_epochs=0)
    plain.train()
    snapshots = LifterIterationSnapshots()
    runner = make_runner(tmp_path / 'curve', data_root, CURVE.format(''),
                         adversarial_epochs=2, distillation_epochs=0)
    runner.register_hook(snapshots, 'NORMAL')
    runner.train()
    for name, value in plain.model.state_dict().items():
        assert torch.equal(runner.model.state_dict()[name], value), name

    rows = read_curve(Path(runner.work_dir) / 'curve.csv')
    assert [r['iter'] for r in rows] == [3, 6, 9, 12, 15, 16]
    assert rows[-1]['epoch'] == 2.0
    for row in rows:
        assert all(math.isfinite(row[k]) for k in CURVE_METRICS)
        assert row['train_g_depth_abs'] > 0
        assert 0 <= row['heldout_d_accuracy'] <= 1
        lifter = torch.load(snapshot_path(runner.work_dir, row['iter']),
                            weights_only=True)
        recorded = snapshots.states[row['iter'] - 1][2]
        assert all(torch.equal(v, recorded[k]) for k, v in lifter.items())
    # the points' errors are the test tool's for those weights
    from tipsy_gan.apis.fast_eval import evaluate_prepared, prepare_split
    model = runner.model
    model.lifter.load_state_dict(torch.load(
        snapshot_path(runner.work_dir, 6), weights_only=True))
    metrics = evaluate_prepared(model, prepare_split(runner.cfg, 'test'),
                                runner.cfg.test_evaluator)
    assert metrics['PA-MPJPE'] == pytest.approx(rows[1]['PA-MPJPE'])


def test_a_resumed_run_drops_the_points_after_its_checkpoint(tmp_path,
                                                             data_root):
    whole = make_runner(tmp_path / 'whole', data_root, CURVE.format(''),
                        adversarial_epochs=2, distillation_epochs=0)
    whole.train()
    expected = read_curve(Path(whole.work_dir) / 'curve.csv')

    part = make_runner(tmp_path / 'part', data_root, CURVE.format(''),
                       adversarial_epochs=2, distillation_epochs=0)
    part.train()  # then "killed" after epoch 1: its curve runs on
    resumed = make_runner(tmp_path / 'part', data_root, CURVE.format(''),
                          resume=Path(part.work_dir) / 'epoch_1.pth',
                          adversarial_epochs=2, distillation_epochs=0)
    resumed.train()
    rows = read_curve(Path(resumed.work_dir) / 'curve.csv')
    assert [r['iter'] for r in rows] == [r['iter'] for r in expected]
    for got, want in zip(rows, expected):
        assert got['PA-MPJPE'] == pytest.approx(want['PA-MPJPE'])


@pytest.mark.parametrize('rule', ["'last'", "dict(type='min_signal', "
                                  "signal='heldout_depth_abs')"])
def test_the_stopping_rule_picks_the_teacher(tmp_path, data_root, rule):
    runner = make_runner(tmp_path, data_root,
                         CURVE.format(f', select={rule}, metrics=False'),
                         adversarial_epochs=2, distillation_epochs=1)
    runner.train()
    rows = read_curve(Path(runner.work_dir) / 'curve.csv')
    assert 'PA-MPJPE' not in rows[0]  # metrics=False
    iteration = rows[select(rows, eval(rule))]['iter']
    state = torch.load(snapshot_path(runner.work_dir, iteration),
                       weights_only=True)
    for name, value in runner.model.teacher.state_dict().items():
        assert torch.equal(value, state[name]), name
    assert bool(runner.model.distilling)
    # the pick as a checkpoint the test tool loads (lifter.* weights)
    picked = torch.load(Path(runner.work_dir) / 'picked_lifter.pth',
                        weights_only=True)
    assert picked['meta']['picked_iter'] == iteration
    for name, value in state.items():
        assert torch.equal(picked['state_dict'][f'lifter.{name}'], value)
    from tipsy_gan.apis.fast_eval import fast_evaluate
    cfg = copy.deepcopy(runner.cfg)
    cfg.model.student = None  # a leg + torso config scores the pick
    metrics = fast_evaluate(cfg, str(Path(runner.work_dir) /
                                     'picked_lifter.pth'), split='test')
    assert math.isfinite(metrics['PA-MPJPE'])


def test_select_with_an_ema_hook_is_refused(tmp_path, data_root):
    runner = make_runner(
        tmp_path, data_root, CURVE.format(", select='last'") +
        ", dict(type='EMAHook', ema_type='StochasticWeightAverage')",
        adversarial_epochs=1, distillation_epochs=1)
    with pytest.raises(RuntimeError, match='which one picks the teacher'):
        runner.train()
    with pytest.raises(ValueError, match='select needs snapshots'):
        from tipsy_gan.engine.curve_hook import TIPSyCurveHook
        TIPSyCurveHook(interval=3, select='last', snapshots=False)


def test_an_interval_in_epochs_is_turned_into_iterations_at_the_start(
        tmp_path, data_root):
    """8 iterations an epoch: 0.3 epochs is 2.4, rounded to 2 iterations,
    and 0.25 × 942 (fps10's epoch) would be 236 (half up)."""
    curve = ("dict(type='TIPSyCurveHook', interval_epochs=0.3, "
             "split='test', metrics=False)")
    runner = make_runner(tmp_path, data_root, curve, adversarial_epochs=1,
                         distillation_epochs=0)
    runner.train()
    rows = read_curve(Path(runner.work_dir) / 'curve.csv')
    assert [r['iter'] for r in rows] == [2, 4, 6, 8]
    from tipsy_gan.engine.curve_hook import TIPSyCurveHook
    for bad in (dict(), dict(interval=3, interval_epochs=0.25),
                dict(interval_epochs=0)):
        with pytest.raises(ValueError, match='interval'):
            TIPSyCurveHook(**bad)
