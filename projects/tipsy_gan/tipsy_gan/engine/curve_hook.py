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
its own random generator). The recording is ``research.curve``'s
``LabelFreeCurve``, which the torch-only trainer records with too.

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
from typing import Optional

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmpose.registry import HOOKS

from ..evaluation.fast_eval import evaluate_predictions, prepare_split
from ..research.curve import LabelFreeCurve, spread_poses
from ..utils.epochs import epochs_to_iters
from .hooks import unwrapped_model

CURVE_METRICS = ('PA-MPJPE', 'PA-MPJPE-reflection', 'PA-MPJPE-oracle-sign',
                 'N-MPJPE', 'Mirrored')


def held_out_2d(cfg, split='val', stride=1, signal_poses=8192):
    """The hook's held-out 2D for the signals: ``signal_poses`` of the
    split's normalised inputs, evenly spread (also what
    ``tools/gpu/prepare_data.py --heldout`` writes for the torch-only
    trainer)."""
    prepared = prepare_split(cfg, split, stride)
    return prepared, spread_poses(prepared['inputs'], signal_poses)


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
        self.curve: Optional[LabelFreeCurve] = None

    def before_train(self, runner):
        if self.interval_epochs is not None:
            per_epoch = len(runner.train_loop.dataloader)
            self.interval = max(1, epochs_to_iters(self.interval_epochs,
                                                   per_epoch))
            print_log(f'TIPSyCurveHook: a point every {self.interval} '
                      f'iterations ({self.interval_epochs:g} of an epoch of '
                      f'{per_epoch})', logger='current')
        self._prepared, signal_2d = held_out_2d(
            runner.cfg, self.split, self.stride, self.signal_poses)
        self.curve = LabelFreeCurve(runner.work_dir, signal_2d, self.interval,
                                    self.snapshots, self.select)
        kept = self.curve.resume(runner.iter)
        if kept:  # a resume: keep the points it had reached
            print_log(f'TIPSyCurveHook: {kept} point(s) kept from '
                      f'{self.curve.path} (resumed at iteration '
                      f'{runner.iter})', logger='current')

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
        self.curve.add(outputs)
        iteration = runner.iter + 1
        if self.curve.due(iteration, self._last_adversarial_iter(runner)):
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
        metrics = {}
        if self.metrics:
            scores = evaluate_predictions(self._predict(model),
                                          self._prepared,
                                          runner.cfg.test_evaluator)
            metrics = {k: scores[k] for k in CURVE_METRICS if k in scores}
        row = self.curve.record(
            iteration, iteration / len(runner.train_loop.dataloader),
            model.lifter, model.discriminator, model.config, metrics)
        print_log(f'TIPSyCurveHook: iteration {iteration}: ' + ', '.join(
            f'{k} {row[k]:.2f}' for k in CURVE_METRICS if k in row) +
            f', heldout depth_abs {row["heldout_depth_abs"]:.3f}',
            logger='current')

    def picked_lifter(self, runner):
        """(iteration, lifter state_dict) of the point ``select`` picks
        from the curve so far."""
        return self.curve.picked_lifter()

    def after_train(self, runner):
        if self.select is None:
            return
        iteration, path = self.curve.write_pick(
            unwrapped_model(runner).discriminator)
        print_log(f'TIPSyCurveHook: the stopping rule {self.select!r} picked '
                  f'iteration {iteration}; its lifter is {path}',
                  logger='current')
