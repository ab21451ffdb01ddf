"""Let mmengine 0.10.7 load its own checkpoints on PyTorch >= 2.6.

PyTorch 2.6 made ``torch.load(weights_only=True)`` the default, and mmengine
0.10.7 calls ``torch.load`` without the argument. Its checkpoints hold, besides
tensors, the message hub's ``HistoryBuffer`` and NumPy arrays and scalars, so
loading fails with an "Unsupported global" error. Rather than turning the
safety check off, we allow exactly those types.
"""
import numpy as np
import torch


def _numpy_checkpoint_types():
    from numpy.lib.format import descr_to_dtype  # noqa: F401  (ensures numpy.lib loaded)
    try:
        multiarray = np._core.multiarray  # numpy >= 2
    except AttributeError:  # pragma: no cover - numpy 1.x
        multiarray = np.core.multiarray
    dtype_classes = [type(np.dtype(t)) for t in (
        np.float16, np.float32, np.float64, np.int8, np.int16, np.int32,
        np.int64, np.uint8, np.bool_, np.str_, np.object_)]
    return [multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype,
            *dtype_classes]


def allow_mmengine_checkpoint_types():
    """Add mmengine's and NumPy's checkpoint types to torch's safe globals."""
    if not hasattr(torch.serialization, 'add_safe_globals'):  # torch < 2.4
        return
    from mmengine.logging.history_buffer import HistoryBuffer
    torch.serialization.add_safe_globals([HistoryBuffer, *_numpy_checkpoint_types()])
