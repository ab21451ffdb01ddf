"""Hooks for TIPSy-GAN training: the stopping rule and a NaN guard.

``TIPSyStageHook`` decides which lifter weights the adversarial stage
hands on (§4.3: without 3D labels there is no validation error to stop by,
so the realistic choices are the last epoch, a fixed epoch, or the mean of
the weights over an epoch range). Epochs are counted from 1, as the
checkpoints are named: ``epoch=N`` is the lifter of ``epoch_N.pth``.

The hook keeps no state of its own: the teacher and the number of
snapshots averaged into it live in the model (``teacher.*``,
``teacher_snapshots``), so checkpoints carry them and ``--resume`` continues
an average where it stopped.

Averaging granularity: by default one snapshot per epoch (the paper's 600
epochs give hundreds). A short CPU run has only a few epochs, and its lifter
swings by tens of mm within one, so ``every_n_iters=N`` instead adds a
snapshot after every N-th iteration of epochs a..b (SWA-style).

BatchNorm under 'average': the running means and variances are averaged
uniformly like the weights (no extra pass over data, no labels). The mean
of running variances is not the variance that the averaged weights would
produce, as with any weight average (SWA recomputes them); this is the
simple, label-free choice, and the test network runs in eval mode on these
statistics.
"""
import logging
import math
import os.path as osp

import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmpose.registry import HOOKS

STOPPING_RULES = ('last', 'epoch', 'average')


def _model(runner):
    model = runner.model
    return model.module if is_model_wrapper(model) else model


@HOOKS.register_module()
class TIPSyStageHook(Hook):
    """Sets the teacher (or, without a student, the test network) by a
    label-free stopping rule at the ends of adversarial epochs.

    Args:
        stopping (dict): ``dict(type='last')``: the lifter after the last
            adversarial epoch; ``dict(type='epoch', epoch=N)``: after epoch N;
            ``dict(type='average', begin=a, end=b)``: the uniform mean of the
            lifter after each of epochs a..b (inclusive).
    """

    # after SyncBuffersHook (NORMAL) has averaged BN statistics across
    # processes, before CheckpointHook (VERY_LOW) saves the epoch
    priority = 'LOW'

    def __init__(self, stopping=dict(type='last')):
        stopping = dict(stopping)
        rule = stopping.pop('type', None)
        self.every_n_iters = None
        if rule not in STOPPING_RULES:
            raise ValueError(f'stopping type must be one of {STOPPING_RULES}, '
                             f'got {rule!r}')
        if rule == 'last':
            self.begin = self.end = None
        elif rule == 'epoch':
            self.begin = self.end = int(stopping.pop('epoch'))
        else:
            self.begin, self.end = int(stopping.pop('begin')), int(
                stopping.pop('end'))
            every = stopping.pop('every_n_iters', None)
            if every is not None:
                if int(every) != every or every < 1:
                    raise ValueError('every_n_iters must be a positive '
                                     f'integer, got {every!r}')
                self.every_n_iters = int(every)
        if stopping:
            raise ValueError(f'unknown stopping keys for {rule!r}: '
                             f'{sorted(stopping)}')
        if self.begin is not None and not 1 <= self.begin <= self.end:
            raise ValueError(f'stopping epochs must satisfy 1 <= begin <= end,'
                             f' got {self.begin}..{self.end}')
        self.rule = rule

    def epoch_range(self, adversarial_epochs):
        """(first, last) 1-based epochs whose lifter enters the teacher."""
        if self.rule == 'last':
            return adversarial_epochs, adversarial_epochs
        return self.begin, self.end

    def describe(self, adversarial_epochs):
        first, last = self.epoch_range(adversarial_epochs)
        if self.every_n_iters is not None:
            return (f'the mean lifter over epochs {first}..{last}, one '
                    f'snapshot every {self.every_n_iters} iterations')
        if first == last:
            return f'the lifter after epoch {first} ({self.rule!r})'
        return f'the mean lifter over epochs {first}..{last}'

    def before_train(self, runner):
        model = _model(runner)
        first, last = self.epoch_range(model.adversarial_epochs)
        if last > model.adversarial_epochs:
            raise ValueError(
                f'stopping rule {self.rule!r} reaches epoch {last}, past '
                f'adversarial_epochs={model.adversarial_epochs}')
        if runner.max_epochs > model.max_epochs:
            raise ValueError(
                f'train_cfg.max_epochs={runner.max_epochs} is more than the '
                f'model\'s adversarial_epochs + distillation_epochs = '
                f'{model.max_epochs}')
        if runner.max_epochs < last:
            print_log(f'TIPSyStageHook: training stops at epoch '
                      f'{runner.max_epochs}, before the stopping rule\'s '
                      f'epoch {last}: no teacher will be set',
                      logger='current', level=logging.WARNING)
        role = 'teacher' if model.student is not None else 'test network'
        print_log(f'TIPSyStageHook: the {role} will be '
                  f'{self.describe(model.adversarial_epochs)}',
                  logger='current')

    def before_train_epoch(self, runner):
        model = _model(runner)
        if runner.epoch >= model.adversarial_epochs:
            # The adversarial losses stop updating; drop their last values
            # so the log shows only what is being trained.
            scalars = runner.message_hub.log_scalars
            for key in [k for k in scalars
                        if k.startswith(('train/d_', 'train/g_'))]:
                scalars.pop(key)

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if self.every_n_iters is None:
            return
        model = _model(runner)
        first, last = self.epoch_range(model.adversarial_epochs)
        if (first <= runner.epoch + 1 <= last
                and (batch_idx + 1) % self.every_n_iters == 0):
            model.average_into_teacher()

    def after_train_epoch(self, runner):
        model = _model(runner)
        finished = runner.epoch + 1  # runner.epoch is still 0-based here
        first, last = self.epoch_range(model.adversarial_epochs)
        if not first <= finished <= last:
            return
        if self.every_n_iters is None:  # else after_train_iter took them
            if first == last:
                model.snapshot_teacher()
            else:
                model.average_into_teacher()
        if finished == last:
            role = 'teacher' if model.student is not None else 'test network'
            print_log(f'TIPSyStageHook: {role} set to '
                      f'{self.describe(model.adversarial_epochs)} '
                      f'({int(model.teacher_snapshots)} snapshot(s))',
                      logger='current')


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
