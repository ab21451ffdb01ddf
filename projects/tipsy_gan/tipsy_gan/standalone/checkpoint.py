"""Checkpoints of the standalone trainer, and the compact "return" form.

Training checkpoint (:func:`training_checkpoint`): what mmengine's
``CheckpointHook`` saves, as far as ``tools/test.py`` and
``tools/export_student.py`` read it: ``{'meta': {'epoch', 'iter', 'cfg'
(the config text), 'seed', ...}, 'state_dict': TIPSyGAN's keys,
'tipsy_step_random_state': ...}``. It holds tensors, dicts, lists, strings
and numbers only (``torch.load(weights_only=True)`` reads it).

Return form (:func:`write_return`): the files a GPU run sends back must be
few and small (at most 8 files of 16 MiB), so the teacher and the student
(and the ``distilling`` flag) are stored in float16 (bfloat16 for a tensor
beyond float16's range), ``torch.save``d into one blob, and the blob is cut
into shards of at most ``shard_bytes``. ``<prefix>.manifest.json`` lists
the shards with their sha256, the blob's sha256, and each tensor's key,
shape, stored and original dtype and the sha256 of its stored bytes.
:func:`read_return` checks all of it; :func:`assembled_checkpoint` turns it
into a training checkpoint (float32) that ``tools/test.py`` loads: the
lifter entries are the teacher's (the averaged lifter; the raw lifter and
the discriminator do not come back).
"""
import hashlib
import io
import json
import time
from collections import OrderedDict
from pathlib import Path
from typing import Dict, List, Optional

import torch

from ..utils.atomic_write import atomic_output_path

RETURN_FORMAT = 'tipsy-return'
RETURN_VERSION = 1
MIB = 1 << 20
DEFAULT_SHARD_BYTES = 15 * MIB
RETURN_PREFIXES = ('teacher.', 'student.')
FLOAT16_MAX = 65504.0


class ReturnFileError(ValueError):
    """Shards or manifest that do not add up to the checkpoint they list."""


def _save_bytes(obj) -> bytes:
    # through a buffer: torch.save names the archive after the file, so a
    # temporary file's name would change the bytes
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def atomic_write_bytes(path, data: bytes) -> None:
    """``data`` into ``path``, whole or not at all."""
    with atomic_output_path(path) as tmp:
        with open(tmp, 'wb') as f:
            f.write(data)


def sha256_bytes(data) -> str:
    return hashlib.sha256(data).hexdigest()


def tensor_sha256(tensor: torch.Tensor) -> str:
    """sha256 of a CPU tensor's bytes (bfloat16 through its int16 view)."""
    t = tensor.detach().cpu().contiguous()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    return sha256_bytes(t.numpy().tobytes())


def cpu_state_dict(module: torch.nn.Module) -> 'OrderedDict[str, torch.Tensor]':
    return OrderedDict((k, v.detach().to('cpu', copy=True))
                       for k, v in module.state_dict().items())


def training_checkpoint(state_dict, *, cfg_text: str, epoch: int,
                        iteration: int, seed: int, meta: Optional[dict] = None,
                        step_rng: Optional[torch.Generator] = None) -> dict:
    """An mmengine-style TIPSyGAN checkpoint dict."""
    out_meta = dict(epoch=int(epoch), iter=int(iteration), cfg=cfg_text,
                    seed=int(seed),
                    time=time.strftime('%Y%m%d_%H%M%S', time.localtime()))
    out_meta.update(meta or {})
    # plain JSON types only, so that torch.load(weights_only=True) reads it
    out_meta = json.loads(json.dumps(out_meta, default=str))
    checkpoint = {'meta': out_meta, 'state_dict': state_dict}
    if step_rng is not None:
        checkpoint['tipsy_step_random_state'] = dict(
            device=step_rng.device.type, state=step_rng.get_state())
    return checkpoint


def save_checkpoint(checkpoint: dict, path) -> None:
    atomic_write_bytes(path, _save_bytes(checkpoint))


def load_checkpoint(path) -> dict:
    """A checkpoint written by :func:`save_checkpoint` (weights_only)."""
    return torch.load(str(path), map_location='cpu', weights_only=True)


def _stored_dtype(tensor, dtype):
    if not tensor.is_floating_point():
        return tensor.dtype
    if dtype == torch.float16:
        finite = torch.isfinite(tensor).all()
        if not finite or tensor.abs().max() > FLOAT16_MAX:
            return torch.bfloat16
    return dtype


def dtype_name(dtype) -> str:
    return str(dtype).replace('torch.', '')


def write_return(state_dict, meta: dict, out_dir, prefix='tipsy_return',
                 dtype=torch.float16, shard_bytes=DEFAULT_SHARD_BYTES,
                 keys_with=RETURN_PREFIXES) -> dict:
    """Write the teacher and student of ``state_dict`` as shards + manifest
    into ``out_dir``; returns the manifest."""
    if dtype not in (torch.float16, torch.bfloat16):
        raise ValueError(f'return dtype must be float16 or bfloat16, got '
                         f'{dtype}')
    selected = OrderedDict()
    tensors = OrderedDict()
    for key, value in state_dict.items():
        if not (key.startswith(tuple(keys_with)) or key == 'distilling'):
            continue
        value = value.detach().cpu()
        stored = value.to(_stored_dtype(value, dtype)).contiguous()
        selected[key] = stored
        tensors[key] = dict(shape=list(stored.shape),
                            dtype=dtype_name(stored.dtype),
                            original_dtype=dtype_name(value.dtype),
                            sha256=tensor_sha256(stored))
    if not any(k.startswith('student.') for k in selected):
        raise ValueError('no student.* entries to return')
    blob = _save_bytes(dict(format=RETURN_FORMAT, version=RETURN_VERSION,
                            meta=meta, state_dict=selected))
    out_dir = Path(out_dir)
    shards = []
    for index, start in enumerate(range(0, len(blob), shard_bytes)):
        piece = blob[start:start + shard_bytes]
        name = f'{prefix}.{index:03d}.part'
        atomic_write_bytes(out_dir / name, piece)
        shards.append(dict(name=name, bytes=len(piece),
                           sha256=sha256_bytes(piece)))
    manifest = dict(format=RETURN_FORMAT, version=RETURN_VERSION,
                    total_bytes=len(blob), sha256=sha256_bytes(blob),
                    shard_bytes=shard_bytes, shards=shards, tensors=tensors,
                    meta={k: v for k, v in meta.items() if k != 'cfg'})
    atomic_write_bytes(out_dir / f'{prefix}.manifest.json',
                       json.dumps(manifest, indent=1).encode())
    return manifest


def read_return(manifest_path) -> dict:
    """The checked return payload ``{'meta', 'state_dict'}`` (as stored)."""
    manifest_path = Path(manifest_path)
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError) as error:
        raise ReturnFileError(f'{manifest_path}: unreadable manifest '
                              f'({error})') from error
    if manifest.get('format') != RETURN_FORMAT or \
            manifest.get('version') != RETURN_VERSION:
        raise ReturnFileError(f'{manifest_path}: not a {RETURN_FORMAT} '
                              f'version {RETURN_VERSION} manifest')
    pieces = []
    for shard in manifest['shards']:
        path = manifest_path.parent / shard['name']
        if not path.is_file():
            raise ReturnFileError(f'missing shard {path}')
        piece = path.read_bytes()
        if len(piece) != shard['bytes'] or \
                sha256_bytes(piece) != shard['sha256']:
            raise ReturnFileError(f'{path}: size or sha256 differs from the '
                                  'manifest (a broken transfer?)')
        pieces.append(piece)
    blob = b''.join(pieces)
    if len(blob) != manifest['total_bytes'] or \
            sha256_bytes(blob) != manifest['sha256']:
        raise ReturnFileError('the shards do not join to the blob the '
                              'manifest names')
    try:
        payload = torch.load(io.BytesIO(blob), map_location='cpu',
                             weights_only=True)
    except Exception as error:  # noqa: BLE001 - any unpickling failure
        raise ReturnFileError(f'the joined shards do not load: {error}') \
            from error
    state_dict = payload['state_dict']
    listed = manifest['tensors']
    if list(state_dict) != list(listed):
        raise ReturnFileError('the blob and the manifest list different keys')
    for key, value in state_dict.items():
        entry = listed[key]
        if list(value.shape) != entry['shape'] or \
                dtype_name(value.dtype) != entry['dtype'] or \
                tensor_sha256(value) != entry['sha256']:
            raise ReturnFileError(f'{key}: shape, dtype or sha256 differs '
                                  'from the manifest')
    payload['manifest'] = manifest
    return payload


def assembled_checkpoint(payload: dict) -> dict:
    """A loadable training checkpoint (float32 again) from a return payload;
    ``lifter.*`` := ``teacher.*`` (the averaged lifter). Checks that every
    tensor converts back to exactly the stored bytes."""
    listed = payload['manifest']['tensors']
    state_dict = OrderedDict()
    for key, value in payload['state_dict'].items():
        original = getattr(torch, listed[key]['original_dtype'])
        restored = value.to(original)
        if tensor_sha256(restored.to(value.dtype)) != listed[key]['sha256']:
            raise ReturnFileError(f'{key}: the round trip changed the values')
        state_dict[key] = restored
    if not any(k.startswith('teacher.') for k in state_dict):
        raise ReturnFileError('no teacher.* entries: cannot rebuild lifter.*')
    ordered = OrderedDict()
    if 'distilling' in state_dict:
        ordered['distilling'] = state_dict['distilling']
    for key, value in state_dict.items():
        if key.startswith('teacher.'):
            ordered['lifter.' + key[len('teacher.'):]] = value.clone()
    for key, value in state_dict.items():
        if key != 'distilling':
            ordered[key] = value
    meta = dict(payload['meta'])
    meta['tipsy_return'] = dict(
        sha256=payload['manifest']['sha256'],
        note='assembled from the return shards: lifter.* are the teacher '
        '(the averaged lifter) upcast to float32; the discriminator and the '
        'raw lifter were not returned')
    return {'meta': meta, 'state_dict': ordered}


def shard_names(manifest: dict) -> List[str]:
    return [s['name'] for s in manifest['shards']]


def describe_manifest(manifest: Dict) -> str:
    stored = {}
    for entry in manifest['tensors'].values():
        stored[entry['dtype']] = stored.get(entry['dtype'], 0) + 1
    return (f'{len(manifest["shards"])} shard(s), {manifest["total_bytes"]} '
            f'bytes, sha256 {manifest["sha256"][:16]}..., tensors by stored '
            f'dtype {stored}')
