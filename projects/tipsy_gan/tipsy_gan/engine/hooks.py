"""Hooks for TIPSy-GAN training: the step's random state and a NaN guard.

The stage schedule is ``TIPSyTrainLoop``'s (``engine/loops.py``), and weight
averaging is mmengine's ``EMAHook``.
"""
import math
import os.path as osp

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpose.registry import HOOKS


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
