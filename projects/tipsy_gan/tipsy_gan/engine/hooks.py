"""Hooks for TIPSy-GAN training: the step's random state, a NaN guard and
mmengine's ``EMAHook`` configured in epochs.

The stage schedule is ``TIPSyTrainLoop``'s (``engine/loops.py``).
"""
import math
import os.path as osp

import torch
from mmengine.hooks import EMAHook, Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import BaseLoop
from mmpose.registry import HOOKS

from ..utils.epochs import averaging_iters


def unwrapped_model(runner):
    """The runner's model without its (DDP) wrapper."""
    model = runner.model
    return model.module if is_model_wrapper(model) else model


@HOOKS.register_module()
class TIPSyRandomStateHook(Hook):
    """Saves the state of ``TIPSyGAN``'s step generator (rotations, label
    flips) in every checkpoint and restores it on ``--resume``, so that a
    resumed run draws the same numbers as an uninterrupted one. It also
    records in the checkpoint's meta the dtype the networks trained in
    (``meta['network_dtype']``: what ``network_dtype='auto'`` picked).
    ``TIPSyTrainLoop`` adds it; a config need not list it."""

    KEY = 'tipsy_step_random_state'

    def before_save_checkpoint(self, runner, checkpoint):
        model = unwrapped_model(runner)
        state = model.random_state()
        if state is not None:
            checkpoint[self.KEY] = state
        checkpoint.setdefault('meta', {})['network_dtype'] = \
            model.network_dtype_in_use()

    def after_load_checkpoint(self, runner, checkpoint):
        if runner._resume and self.KEY in checkpoint:
            unwrapped_model(runner).load_random_state(checkpoint[self.KEY])


def last_checkpoint(work_dir):
    """The path in ``work_dir/last_checkpoint`` (CheckpointHook's record of
    its latest save), or None."""
    record = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(record):
        return None
    with open(record) as f:
        path = f.read().strip()
    return path or None


def _non_finite(value):
    if isinstance(value, torch.Tensor):
        return not bool(torch.isfinite(value).all())
    if isinstance(value, (int, float)):
        return not math.isfinite(value)
    return False


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Stops training at the first NaN/inf loss, naming the loss, where it
    happened, and the last good checkpoint to resume from.

    It also refuses to save a checkpoint whose weights are not finite, so
    the one named is never poisoned.
    """

    priority = 'NORMAL'

    def _resume_hint(self, runner):
        path = last_checkpoint(runner.work_dir)
        if path is None:
            return ('no checkpoint has been saved yet; nothing to resume '
                    'from')
        return (f'last good checkpoint: {path} (resume with tools/train.py '
                f'CONFIG --resume {path}, e.g. with a lower learning rate)')

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if not outputs:
            return
        bad = [name for name, value in outputs.items() if _non_finite(value)]
        if bad:
            values = ', '.join(f'{name}={float(outputs[name]):g}'
                               for name in bad)
            raise RuntimeError(
                f'non-finite loss at epoch {runner.epoch + 1}, iteration '
                f'{runner.iter + 1} (batch {batch_idx + 1} of the epoch): '
                f'{values}. Training stopped; {self._resume_hint(runner)}')

    def before_save_checkpoint(self, runner, checkpoint):
        bad = [
            name for name, value in checkpoint.get('state_dict', {}).items()
            if isinstance(value, torch.Tensor) and value.is_floating_point()
            and _non_finite(value)
        ]
        if bad:
            raise RuntimeError(
                f'non-finite weights after epoch {runner.epoch + 1} '
                f'({", ".join(bad[:5])}{", ..." if len(bad) > 5 else ""}); '
                f'the checkpoint was not saved. {self._resume_hint(runner)}')


@HOOKS.register_module()
class TIPSyEMAHook(EMAHook):
    """mmengine's ``EMAHook`` with its start and interval in epochs, turned
    into iterations from the train loader's length when the run starts
    (``utils.epochs.averaging_iters``), so a config need not count them.

    Args:
        begin_epochs (float): epochs trained before the average begins.
        interval (int, optional): iterations between snapshots; or
        interval_epochs (float, optional): the same in epochs.
        Other arguments: ``EMAHook``'s (``ema_type``, ``update_buffers``,
        ``momentum``, ...), without ``begin_iter``/``begin_epoch``.

    The first snapshot is the end of the first interval after
    ``begin_epochs``: ``begin_epochs=1, interval=5`` averages from the 5th
    iteration of epoch 2, every 5th.
    """

    def __init__(self, begin_epochs: float, interval: int = None,
                 interval_epochs: float = None, **kwargs):
        for key in ('begin_iter', 'begin_epoch'):
            if key in kwargs:
                raise ValueError(f'TIPSyEMAHook takes begin_epochs, not {key}')
        averaging_iters(begin_epochs, 1, interval, interval_epochs)  # checks
        super().__init__(**kwargs)
        self.begin_epochs = float(begin_epochs)
        self.interval, self.interval_epochs = interval, interval_epochs

    def before_run(self, runner) -> None:
        # Runner.train builds its loop before 'before_run'; a test run has
        # none (nor needs one: it only swaps the saved average in)
        loop = runner._train_loop
        if not isinstance(loop, BaseLoop):
            self.ema_cfg['interval'] = 1
            return super().before_run(runner)
        per_epoch = len(loop.dataloader)
        self.begin_iter, self.ema_cfg['interval'] = averaging_iters(
            self.begin_epochs, per_epoch, self.interval, self.interval_epochs)
        print_log(f'TIPSyEMAHook: averaging from iteration {self.begin_iter}, '
                  f'every {self.ema_cfg["interval"]} ({per_epoch} an epoch)',
                  logger='current')
        super().before_run(runner)
