"""The label-free learning curve of the adversarial stage, framework-free:
what ``engine.curve_hook.TIPSyCurveHook`` records under mmengine and the
torch-only trainer (``standalone.trainer``) records without it, so both
write the same ``curve.csv``, snapshots and ``picked_lifter.pth``.

A point is due every ``interval`` iterations of the adversarial stage and
at its last iteration. Its row holds ``iter``, ``epoch`` (fractional), any
extra columns the caller measured (the hook's validation metrics), the
mean of each training loss since the last point (``train_*``) and
``training_signals.heldout_signals`` on held-out 2D (``heldout_*``).
"""
import csv
import os
import os.path as osp
from typing import Dict, List, Optional

import torch

from ..core.inputs import lifter_input_2d
from ..utils.atomic_write import atomic_output_path
from ..utils.checkpoint_kinds import PICKED_SOURCE
from .training_signals import heldout_signals

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


def spread_poses(inputs, count: int) -> torch.Tensor:
    """``count`` of the (N, ...) normalised 2D ``inputs``, evenly spread, as
    checked (count, 16, 2) lifter input: the held-out 2D of the signals."""
    inputs = torch.as_tensor(inputs)
    step = max(1, len(inputs) // int(count))
    return lifter_input_2d(inputs[::step][:int(count)])


class LabelFreeCurve:
    """The curve of one run in ``work_dir`` (module docstring).

    Args:
        work_dir: where ``curve.csv`` and the snapshots go.
        signal_2d: (M, 16, 2) held-out normalised 2D for the signals.
        interval: iterations between points.
        snapshots: save the lifter at every point.
        select: the ``research.stopping`` rule that picks the teacher.
    """

    def __init__(self, work_dir, signal_2d: torch.Tensor, interval: int,
                 snapshots: bool = True, select=None):
        self.work_dir = work_dir
        self.signal_2d = signal_2d
        self.interval = int(interval)
        self.snapshots = snapshots
        self.select = select
        self.rows: List[dict] = []
        self._sums: Dict[str, float] = {}
        self._count = 0

    @property
    def path(self):
        return osp.join(self.work_dir, CURVE_FILE)

    def resume(self, iteration):
        """Keep the points up to ``iteration`` of an existing curve."""
        if osp.isfile(self.path):
            self.rows = [r for r in read_curve(self.path)
                         if r['iter'] <= iteration]
            write_curve(self.path, self.rows)
        return len(self.rows)

    def add(self, outputs) -> None:
        """One step's scalar outputs, summed as floats until the next
        point."""
        for name, value in (outputs or {}).items():
            if isinstance(value, torch.Tensor) and value.numel() == 1:
                self._sums[name] = self._sums.get(name, 0.0) + float(value)
        self._count += 1

    def due(self, iteration, last_iteration) -> bool:
        return iteration % self.interval == 0 or iteration == last_iteration

    def record(self, iteration, epoch, lifter, discriminator, config,
               columns: Optional[dict] = None) -> dict:
        """Write the point at ``iteration`` (1-based: steps done) and return
        its row."""
        row = dict(iter=int(iteration), epoch=epoch)
        row.update(columns or {})
        row.update({f'train_{k}': v / max(self._count, 1)
                    for k, v in sorted(self._sums.items())})
        signals = heldout_signals(lifter, discriminator, self.signal_2d,
                                  config)
        row.update({f'heldout_{k}': v for k, v in signals.items()})
        self._sums, self._count = {}, 0
        self.rows.append(row)
        write_curve(self.path, self.rows)
        if self.snapshots:
            target = snapshot_path(self.work_dir, iteration)
            os.makedirs(osp.dirname(target), exist_ok=True)
            with atomic_output_path(target) as tmp:
                torch.save(lifter.state_dict(), tmp)
        return row

    def picked_lifter(self):
        """(iteration, lifter state_dict) of the point ``select`` picks from
        the curve so far."""
        from .stopping import select
        if not self.rows:
            raise RuntimeError(f'no curve point in {self.path} to pick a '
                               'teacher from; lower the interval')
        iteration = self.rows[select(self.rows, self.select)]['iter']
        state = torch.load(snapshot_path(self.work_dir, iteration),
                           map_location='cpu', weights_only=True)
        return iteration, state

    def write_pick(self, discriminator):
        """``picked_lifter.pth`` of the pick, with ``discriminator``'s
        weights; returns (iteration, path)."""
        iteration, state = self.picked_lifter()
        return iteration, write_picked_lifter(
            self.work_dir, iteration, state, discriminator.state_dict(),
            self.select)
