"""A learning curve of the adversarial stage: validation error and
label-free signals every K iterations (the paper's fig. 3, §4.3).

``TIPSyCurveHook`` scores the lifter on the validation protocol's subject
(S8, ``docs/protocol.md``) every ``interval`` iterations of the adversarial
stage and at its last iteration, and writes one CSV row per point to
``work_dir/curve.csv``:

* ``iter``, ``epoch`` (fractional), and the validation metrics (PA-MPJPE,
  PA-MPJPE-reflection, N-MPJPE, Mirrored): read by the research tools, never
  by training;
* ``train_*``: the mean of each logged training loss over the interval;
* ``heldout_*``: ``research.training_signals.heldout_signals`` on the
  validation subject's 2D (label-free).

With ``snapshots=True`` it also saves the lifter's weights at every point
(``work_dir/curve_snapshots/iter_NNNNNN.pth``, about 3 MB at width 256), so
a point picked afterwards (a stopping rule, an average over a range) can be
scored or distilled. Both are resumable: on ``--resume`` the rows after the
resumed iteration are dropped, and training with the hook is bit-identical
to training without it (the hook runs in eval mode, without gradients, on
its own random generator).

With ``select=RULE`` (a ``research.stopping`` rule, e.g. 'default') the hook is
also the stopping option of the two-stage schedule: at the switch to
distillation ``TIPSyTrainLoop`` makes the snapshot that the rule picks from
the curve's label-free columns the teacher (in place of an ``EMAHook``'s
average). ``metrics=False`` skips the validation metrics (a final run,
which trains on S8's 2D, has no use for them; the rule never reads them).
At the end of training the picked lifter is also written as
``work_dir/picked_lifter.pth``, a checkpoint that ``tools/test.py`` scores
with a solo or leg + torso config (its ``lifter.*`` weights, the
discriminator at the end of training, which a ``sign_choice`` for
predictions scores with, and the pick in ``meta``).

Config::

    custom_hooks = [..., dict(type='TIPSyCurveHook', interval=190)]
"""
import csv
import math
import os
import os.path as osp
from typing import Dict, List, Optional

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmpose.registry import HOOKS

from ..core.inputs import lifter_input_2d
from ..research.training_signals import heldout_signals
from ..evaluation.fast_eval import evaluate_predictions, prepare_split
from ..utils.atomic_write import atomic_output_path
from ..utils.checkpoint_kinds import PICKED_SOURCE
from .hooks import unwrapped_model

CURVE_METRICS = ('PA-MPJPE', 'PA-MPJPE-reflection', 'PA-MPJPE-oracle-sign',
                 'N-MPJPE', 'Mirrored')
CURVE_FILE = 'curve.csv'
PICKED_FILE = 'picked_lifter.pth'
SNAPSHOT_DIR = 'curve_snapshots'


def snapshot_path(work_dir, iteration):
    return osp.join(work_dir, SNAPSHOT_DIR, f'iter_{int(iteration):06d}.pth')


def write_picked_lifter(work_dir, iteration, lifter_state, discriminator_state,
                        rule):
    """``work_dir/picked_lifter.pth``: a stopping rule's pick (the lifter
    snapshot at ``iteration``), the 'picked' checkpoint kind. The
    discriminator at the end of training rides along: a label-free sign
    choice (TIPSyGAN's ``sign_choice``) scores with it."""
    checkpoint = dict(
        state_dict={
            **{f'lifter.{k}': v for k, v in lifter_state.items()},
            **{f'discriminator.{k}': v.detach().cpu()
               for k, v in discriminator_state.items()}},
        meta=dict(picked_iter=int(iteration), rule=repr(rule),
                  source=PICKED_SOURCE))
    path = osp.join(work_dir, PICKED_FILE)
    with atomic_output_path(path) as tmp:
        torch.save(checkpoint, tmp)
    return path


def _cell(value):
    if value in ('', None):
        return float('nan')
    try:
        return float(value)
    except ValueError:
        return value  # a label (a study's kind)


def read_curve(path) -> List[Dict[str, float]]:
    """The rows of a curve CSV, numbers as floats (blank: NaN), ``iter`` and
    ``seed`` as ints, labels as strings."""
    with open(path, newline='') as f:
        rows = [{k: _cell(v) for k, v in row.items()}
                for row in csv.DictReader(f)]
    for row in rows:
        for key in ('iter', 'seed'):
            if key in row:
                row[key] = int(row[key])
    return rows


def write_curve(path, rows):
    """All rows at once, whole or not at all (columns: the union)."""
    columns = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    with atomic_output_path(path) as tmp:
        with open(tmp, 'w', newline='') as f:
            writer = csv.DictWriter(f, fieldnames=columns, restval='')
            writer.writeheader()
            writer.writerows(rows)


@HOOKS.register_module()
class TIPSyCurveHook(Hook):
    """See the module docstring.

    Args:
        interval (int, optional): iterations between points.
        interval_epochs (float, optional): or the same in epochs (e.g. 0.25:
            a point every quarter epoch), turned into iterations from the
            train loader's length when training starts (rounded half up;
            at least 1). Give one of the two.
        split (str): 'val' (S8, the protocol) or 'test'.
        stride (int): score every ``stride``-th validation pose.
        signal_poses (int): validation poses (evenly spread) for the
            label-free signals.
        snapshots (bool): save the lifter at every point.
        select (str | dict, optional): the stopping rule that picks the
            teacher (``research.stopping.select``); needs ``snapshots``.
        metrics (bool): score the validation metrics at every point.
    """

    priority = 'LOW'

    def __init__(self, interval: Optional[int] = None, split: str = 'val',
                 stride: int = 1, signal_poses: int = 8192,
                 snapshots: bool = True, select=None, metrics: bool = True,
                 interval_epochs: Optional[float] = None):
        if (interval is None) == (interval_epochs is None):
            raise ValueError('TIPSyCurveHook: give interval (iterations) or '
                             'interval_epochs (epochs), not both or neither')
        if interval is not None and int(interval) < 1:
            raise ValueError(f'interval must be >= 1, got {interval!r}')
        if interval_epochs is not None and not float(interval_epochs) > 0:
            raise ValueError('interval_epochs must be > 0, got '
                             f'{interval_epochs!r}')
        self.interval_epochs = (None if interval_epochs is None else
                                float(interval_epochs))
        if select is not None and not snapshots:
            raise ValueError('TIPSyCurveHook: select needs snapshots=True '
                             '(the picked lifter is read back from them)')
        self.select = select
        self.metrics = metrics
        self.interval = None if interval is None else int(interval)
        self.split = split
        self.stride = int(stride)
        self.signal_poses = int(signal_poses)
        self.snapshots = snapshots
        self._prepared = None
        self._signal_2d = None
        self._rows: List[dict] = []  # the curve so far, as in the CSV
        self._sums: Dict[str, float] = {}
        self._count = 0

    # ----------------------------------------------------------- setup
    def _path(self, runner):
        return osp.join(runner.work_dir, CURVE_FILE)

    def before_train(self, runner):
        if self.interval_epochs is not None:
            per_epoch = len(runner.train_loop.dataloader)
            self.interval = max(
                1, math.floor(self.interval_epochs * per_epoch + 0.5))
            print_log(f'TIPSyCurveHook: a point every {self.interval} '
                      f'iterations ({self.interval_epochs:g} of an epoch of '
                      f'{per_epoch})', logger='current')
        self._prepared = prepare_split(runner.cfg, self.split, self.stride)
        inputs = torch.from_numpy(self._prepared['inputs'])
        step = max(1, len(inputs) // self.signal_poses)
        self._signal_2d = lifter_input_2d(inputs[::step][:self.signal_poses])
        path = self._path(runner)
        self._rows = []
        if osp.isfile(path):  # a resume: keep the points it had reached
            self._rows = [r for r in read_curve(path)
                          if r['iter'] <= runner.iter]
            write_curve(path, self._rows)
            print_log(f'TIPSyCurveHook: {len(self._rows)} point(s) kept from '
                      f'{path} (resumed at iteration {runner.iter})',
                      logger='current')

    # ----------------------------------------------------------- points
    def _adversarial(self, runner):
        return not bool(getattr(unwrapped_model(runner), 'distilling',
                                False))

    def _last_adversarial_iter(self, runner):
        loop = runner.train_loop
        epochs = getattr(loop, 'adversarial_epochs', loop.max_epochs)
        return epochs * len(loop.dataloader)

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if not self._adversarial(runner):
            return
        for name, value in (outputs or {}).items():
            if isinstance(value, torch.Tensor) and value.numel() == 1:
                self._sums[name] = self._sums.get(name, 0.0) + float(value)
        self._count += 1
        iteration = runner.iter + 1
        if iteration % self.interval == 0 or \
                iteration == self._last_adversarial_iter(runner):
            self._record(runner, iteration)

    def _predict(self, model, batch_size=16384):
        """(N, 17, 3) root-relative predictions of the run's test network
        (normalised units, as ``TIPSyGAN.forward``) on the prepared 2D."""
        inputs = torch.from_numpy(self._prepared['inputs'])
        return np.concatenate([
            model.predict_pose_3d(batch).numpy()
            for batch in inputs.split(batch_size)
        ])

    def _record(self, runner, iteration):
        model = unwrapped_model(runner)
        row = dict(iter=iteration,
                   epoch=iteration / len(runner.train_loop.dataloader))
        if self.metrics:
            metrics = evaluate_predictions(self._predict(model),
                                           self._prepared,
                                           runner.cfg.test_evaluator)
            row.update({k: metrics[k] for k in CURVE_METRICS
                        if k in metrics})
        row.update({f'train_{k}': v / max(self._count, 1)
                    for k, v in sorted(self._sums.items())})
        signals = heldout_signals(model.lifter, model.discriminator,
                                  self._signal_2d, model.config)
        row.update({f'heldout_{k}': v for k, v in signals.items()})
        self._sums, self._count = {}, 0
        self._rows.append(row)
        write_curve(self._path(runner), self._rows)
        if self.snapshots:
            target = snapshot_path(runner.work_dir, iteration)
            os.makedirs(osp.dirname(target), exist_ok=True)
            with atomic_output_path(target) as tmp:
                torch.save(model.lifter.state_dict(), tmp)
        print_log(f'TIPSyCurveHook: iteration {iteration}: ' + ', '.join(
            f'{k} {row[k]:.2f}' for k in CURVE_METRICS if k in row) +
            f', heldout depth_abs {signals["depth_abs"]:.3f}',
            logger='current')

    def picked_lifter(self, runner):
        """(iteration, lifter state_dict) of the point ``select`` picks
        from the curve so far."""
        from ..research.stopping import select
        if not self._rows:
            raise RuntimeError(f'TIPSyCurveHook: no curve point in '
                               f'{self._path(runner)} to pick a teacher '
                               'from; lower interval')
        iteration = self._rows[select(self._rows, self.select)]['iter']
        state = torch.load(snapshot_path(runner.work_dir, iteration),
                           map_location='cpu', weights_only=True)
        return iteration, state

    def after_train(self, runner):
        if self.select is None:
            return
        iteration, state = self.picked_lifter(runner)
        write_picked_lifter(
            runner.work_dir, iteration, state,
            unwrapped_model(runner).discriminator.state_dict(), self.select)
        print_log(f'TIPSyCurveHook: the stopping rule {self.select!r} picked '
                  f'iteration {iteration}; its lifter is '
                  f'{osp.join(runner.work_dir, PICKED_FILE)}',
                  logger='current')
