"""Epochs to iterations, for hooks configured in epochs (imports nothing of
the package: the torch-only trainer uses it too)."""
import math
from typing import Optional


def epochs_to_iters(epochs: float, iters_per_epoch: int) -> int:
    """``epochs`` (a fraction allowed) in iterations, rounded half up."""
    return int(math.floor(float(epochs) * int(iters_per_epoch) + 0.5))


def averaging_iters(begin_epochs: float, iters_per_epoch: int,
                    interval: Optional[int] = None,
                    interval_epochs: Optional[float] = None):
    """``(begin_iter, interval)`` of an average that starts after
    ``begin_epochs`` epochs and takes a snapshot every ``interval``
    iterations (or ``interval_epochs`` epochs), the first one at the end of
    the first interval: ``begin_iter = begin_epochs · N + interval`` in
    EMAHook's terms (1-based: averaging from ``runner.iter + 1 >=
    begin_iter``). Give one of ``interval`` and ``interval_epochs``."""
    if (interval is None) == (interval_epochs is None):
        raise ValueError('give interval (iterations) or interval_epochs, '
                         'not both or neither')
    if interval is None:
        interval = max(1, epochs_to_iters(interval_epochs, iters_per_epoch))
    interval = int(interval)
    if interval < 1 or not float(begin_epochs) >= 0:
        raise ValueError(f'bad averaging: begin_epochs={begin_epochs!r}, '
                         f'interval={interval!r}')
    return epochs_to_iters(begin_epochs, iters_per_epoch) + interval, interval
