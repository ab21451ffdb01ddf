"""Let mmengine 0.10.7 load its own checkpoints on PyTorch >= 2.6, safely.

PyTorch 2.6 made ``torch.load(weights_only=True)`` the default, and mmengine
0.10.7 calls ``torch.load`` without the argument. Its checkpoints hold, besides
tensors, the message hub's ``HistoryBuffer`` and NumPy arrays and scalars, so
resume and test fail with "Unsupported global". Rather than turning the check
off, we replace mmengine's loader for local files with one that keeps
``weights_only=True`` and admits exactly those types, only while it loads.

No general callable is admitted. Two of the names these files use are
general functions, so each is bound to a narrow stand-in under its own name:

- ``builtins.getattr``: a ``HistoryBuffer`` pickles its statistics methods as
  ``getattr(HistoryBuffer, 'mean')``. The real ``getattr``, together with
  torch's own ``_rebuild_from_type_v2`` (which calls ``func(*args)``), walks
  ``HistoryBuffer.__init__.__builtins__`` to ``eval``. The stand-in returns
  only ``HistoryBuffer``'s own statistics methods and refuses anything else.
- ``_codecs.encode``: NumPy arrays pickle their bytes as
  ``encode(text, 'latin1')``. The stand-in encodes a ``str`` to latin-1 and
  refuses any other codec or argument.

A refused file raises :class:`UnsafeCheckpointError`, naming the file.
"""
import os.path as osp
import pickle

import numpy as np
import torch


class UnsafeCheckpointError(pickle.UnpicklingError, ValueError):
    """A checkpoint holds something other than tensors and plain data."""


# HistoryBuffer's statistics methods, as mmengine 0.10.7 registers them on
# each buffer (its ``statistics_methods``).
_HISTORY_BUFFER_STATISTICS = ('min', 'max', 'current', 'mean')


def _history_buffer_method(obj, name):
    """``getattr`` as an mmengine checkpoint uses it: one of HistoryBuffer's
    statistics methods, and nothing else."""
    from mmengine.logging.history_buffer import HistoryBuffer
    allowed = set(_HISTORY_BUFFER_STATISTICS) | set(
        getattr(HistoryBuffer, '_statistics_methods', {}))
    if (obj is HistoryBuffer and isinstance(name, str) and name in allowed
            and not name.startswith('_')
            and callable(HistoryBuffer.__dict__.get(name))):
        return getattr(HistoryBuffer, name)
    raise UnsafeCheckpointError(
        f'refused getattr({getattr(obj, "__name__", type(obj).__name__)}, '
        f'{name!r}): a checkpoint may name only HistoryBuffer\'s statistics '
        f'methods ({", ".join(sorted(allowed))})')


def _latin1_encode(text, encoding='utf-8', errors='strict'):
    """``_codecs.encode`` as NumPy's pickles use it: a str to latin-1 bytes."""
    if (type(text) is not str or encoding not in ('latin1', 'latin-1')
            or errors != 'strict'):
        raise UnsafeCheckpointError(
            f'refused _codecs.encode with codec {encoding!r}: a checkpoint '
            'may only encode text to latin-1 (NumPy array data)')
    return text.encode('latin1')


def mmengine_checkpoint_globals():
    """The non-tensor globals an mmengine 0.10.7 checkpoint may name: types,
    and the two narrow stand-ins above under the names the pickles use."""
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
    return [HistoryBuffer, (_history_buffer_method, 'builtins.getattr'),
            (_latin1_encode, '_codecs.encode'), bytes,
            multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype,
            *dtype_classes]


def load_local_checkpoint(filename, map_location=None):
    """``torch.load`` of a local mmengine checkpoint with weights_only kept on.

    Raises:
        FileNotFoundError: no file at ``filename``.
        UnsafeCheckpointError: the file names a global outside the allowed
            types, or calls a stand-in outside its narrow use.
    """
    filename = osp.expanduser(str(filename))
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint not found: {filename}')
    try:
        with torch.serialization.safe_globals(mmengine_checkpoint_globals()):
            return torch.load(filename, map_location=map_location,
                              weights_only=True)
    except pickle.UnpicklingError as error:
        # torch's message wraps the reason in advice to turn the check off
        reason = str(error).split('WeightsUnpickler error:')[-1].strip()
        raise UnsafeCheckpointError(
            f'refused to load {filename}: it holds something other than '
            'tensors, NumPy arrays and plain data, and could run code if '
            f'loaded. The unpickler says: {reason.splitlines()[0]}') from None
    except RuntimeError as error:
        if 'zip archive' in str(error) or 'PytorchStreamReader' in str(error):
            raise ValueError(f'{filename} is not a readable PyTorch checkpoint'
                             f' (corrupt or truncated): {error}') from None
        raise


def require_all_weights(model, checkpoint, what='the model'):
    """Raise if ``checkpoint`` (a local file, already loaded into ``model``
    by a non-strict loader such as MMPose's ``init_model``) lacks any of
    ``model``'s weights: a model of another kind would run on random ones.

    Raises:
        ValueError: naming the file, ``what``, and the first missing keys.
    """
    if checkpoint is None:
        return
    loaded = load_local_checkpoint(checkpoint, map_location='cpu')
    state = loaded.get('state_dict', loaded) if isinstance(loaded, dict) \
        else {}
    held = {k[len('module.'):] if k.startswith('module.') else k
            for k in state}
    expected = list(model.state_dict())
    missing = [k for k in expected if k not in held]
    if missing:
        raise ValueError(
            f'{checkpoint} is not a checkpoint of {what} '
            f'({type(model).__name__}): it lacks {len(missing)} of its '
            f'{len(expected)} weights ({", ".join(missing[:4])}'
            f'{", ..." if len(missing) > 4 else ""}); pass the checkpoint '
            'that belongs to this config')


def allow_mmengine_checkpoint_types():
    """Route mmengine's local-file checkpoint loading through our loader."""
    if not hasattr(torch.serialization, 'safe_globals'):  # torch < 2.5: nothing to do
        return
    from mmengine.runner.checkpoint import CheckpointLoader
    CheckpointLoader.register_scheme(prefixes='', loader=load_local_checkpoint,
                                     force=True)
