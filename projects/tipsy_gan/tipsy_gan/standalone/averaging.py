"""mmengine's EMAHook weight averaging of the lifter (and, for a run that
ends in the adversarial stage, the discriminator), on the device.

The mmengine path averages the whole ``TIPSyGAN`` with
``mmengine.model.averaged_model.BaseAveragedModel`` (through ``EMAHook``)
and takes the averaged model's lifter as the teacher at the switch
(``engine/loops.py``), or saves the averaged weights in the last
checkpoint. Averaging is per state-dict entry, so averaging only the
networks that are read gives the same weights. This mirrors
``BaseAveragedModel.update_parameters`` (mmengine 0.10.7) term by term:

- the first update copies every entry (parameters, and with
  ``update_buffers`` the persistent buffers: BN statistics and
  ``num_batches_tracked``); later updates, when ``steps % interval == 0``,
  average the floating-point entries only (``num_batches_tracked`` keeps
  its first value);
- without ``update_buffers`` every buffer is copied from the lifter at each
  update;
- ``steps`` counts every update call, averaging or not.

``EMAHook`` calls it after every training iteration from its start
(``recipe.averaging_first_iter``); before that it copies the model into the
average, which the first update overwrites anyway, so nothing is done here.
"""
import copy

import torch

from .recipe import AVERAGING_TYPES


class LifterAverage:
    """The running average of a module, as ``EMAHook`` keeps it.

    Build it before any ``torch.compile`` (it deep-copies the module).
    """

    def __init__(self, module: torch.nn.Module, type: str,
                 interval: int = 1, update_buffers: bool = False,
                 momentum: float = 0.0002, gamma: int = 100, **unused):
        if type not in AVERAGING_TYPES:
            raise ValueError(f'averaging type must be one of '
                             f'{AVERAGING_TYPES}, got {type!r}')
        if type != 'StochasticWeightAverage' and not 0.0 < momentum < 1.0:
            raise ValueError(f'momentum must be in (0, 1), got {momentum}')
        self.type = type
        self.interval = int(interval)
        self.update_buffers = bool(update_buffers)
        self.momentum = float(momentum)
        self.gamma = gamma
        self.module = copy.deepcopy(module).requires_grad_(False)
        self.steps = 0  # a Python int: no host sync per update
        self._pairs = None

    def _pair_up(self, source):
        """(averaged, source) tensors, key by key; the same tensor objects
        every step (optimisers and BatchNorm update them in place)."""
        if self.update_buffers:
            avg, src = self.module.state_dict(), source.state_dict()
        else:
            avg = dict(self.module.named_parameters())
            src = dict(source.named_parameters())
        keys = list(avg)
        floating = [k for k in keys if avg[k].dtype.is_floating_point]
        buffers = (None if self.update_buffers else
                   (list(self.module.buffers()), list(source.buffers())))
        return dict(all=([avg[k] for k in keys], [src[k] for k in keys]),
                    floating=([avg[k] for k in floating],
                              [src[k] for k in floating]),
                    buffers=buffers)

    @torch.no_grad()
    def update(self, source: torch.nn.Module) -> None:
        if self._pairs is None:
            self._pairs = self._pair_up(source)
        # torch._foreach_*: a few kernels per update on a GPU; on the CPU
        # they run the same per-tensor operations as mmengine's loop.
        if self.steps == 0:
            torch._foreach_copy_(*self._pairs['all'])
        elif self.steps % self.interval == 0:
            averaged, sources = self._pairs['floating']
            if self.type == 'StochasticWeightAverage':
                alpha = 1 / float(self.steps // self.interval + 1)
                torch._foreach_add_(averaged,
                                    torch._foreach_sub(sources, averaged),
                                    alpha=alpha)
            else:
                momentum = self.momentum
                if self.type == 'MomentumAnnealingEMA':
                    momentum = max(self.momentum,
                                   self.gamma / (self.gamma + self.steps))
                torch._foreach_lerp_(averaged, sources, momentum)
        if not self.update_buffers:
            torch._foreach_copy_(*self._pairs['buffers'])
        self.steps += 1

    def snapshots(self) -> int:
        """How many lifters the average holds (the first copy and every
        interval-th update after it)."""
        return (self.steps - 1) // self.interval + 1 if self.steps else 0

    def describe(self) -> str:
        # TIPSyTrainLoop's words for it
        return (f'the {self.type} of the lifter ({self.snapshots()} '
                f'snapshot(s), one every {self.interval} iteration(s))')
