"""Let mmengine 0.10.7 load its own checkpoints on PyTorch >= 2.6.

PyTorch 2.6 made ``torch.load(weights_only=True)`` the default, and mmengine
0.10.7 calls ``torch.load`` without the argument. Its checkpoints hold, besides
tensors, the message hub's ``HistoryBuffer`` (which pickles its statistics
methods through ``getattr``) and NumPy arrays and scalars, so resume and test
fail with "Unsupported global". Rather than turning the check off, we replace
mmengine's loader for local files with one that allows exactly those types,
and only while it loads: nothing changes for other ``torch.load`` calls.
"""
import os.path as osp

import numpy as np
import torch


def mmengine_checkpoint_globals():
    """The non-tensor types an mmengine 0.10.7 checkpoint contains."""
    import codecs

    from mmengine.logging.history_buffer import HistoryBuffer
    try:
        multiarray = np._core.multiarray  # numpy >= 2
    except AttributeError:  # pragma: no cover - numpy 1.x
        multiarray = np.core.multiarray
    dtype_classes = [type(np.dtype(t)) for t in (
        np.float16, np.float32, np.float64, np.int8, np.int16, np.int32,
        np.int64, np.uint8, np.bool_, np.str_, np.object_)]
    # bytes: an empty NumPy array (e.g. Human3.6M's empty dataset_meta
    # 'sigmas') pickles its empty buffer as bytes() under protocol 2.
    return [HistoryBuffer, getattr, codecs.encode, bytes, multiarray._reconstruct,
            multiarray.scalar, np.ndarray, np.dtype, *dtype_classes]


def load_local_checkpoint(filename, map_location=None):
    """``torch.load`` of a local mmengine checkpoint with weights_only kept on."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint not found: {filename}')
    with torch.serialization.safe_globals(mmengine_checkpoint_globals()):
        return torch.load(filename, map_location=map_location, weights_only=True)


def allow_mmengine_checkpoint_types():
    """Route mmengine's local-file checkpoint loading through our loader."""
    if not hasattr(torch.serialization, 'safe_globals'):  # torch < 2.5: nothing to do
        return
    from mmengine.runner.checkpoint import CheckpointLoader
    CheckpointLoader.register_scheme(prefixes='', loader=load_local_checkpoint,
                                     force=True)
