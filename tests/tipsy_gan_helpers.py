"""Shared by the TIPSy-GAN model, engine and tool tests: a small converted
Human3.6M, tiny configs, and running the tools in a subprocess."""
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from tipsy_gan.paths import REPO_ROOT, shared_dir

# Two subjects (one train, one test), two sequences: ~3.9k fps10 poses each
# split, converted in ~6 s.
SMALL_SUBJECTS = ('S1', 'S9')
SMALL_SEQUENCES = ('walking_1', 'directions_1')


def small_h36m(tmp_path_factory) -> Path:
    """The small conversion, made once per test session."""
    out = tmp_path_factory.getbasetemp() / 'small_h36m'
    done = out / 'annotation_body3d' / 'fps10' / 'h36m_test.npz'
    if not done.is_file():
        shared = shared_dir()
        subprocess.run([
            sys.executable,
            str(REPO_ROOT / 'tools' / 'dataset_converters' /
                'h36m_expmap_to_mmpose.py'),
            '--expmap-dir', str(shared / 'data' / 'h36m_expmap'),
            '--cameras', str(shared / 'data' / 'h36m_cameras' / 'cameras.pkl'),
            '--out-dir', str(out), '--subjects', *SMALL_SUBJECTS,
            '--sequences', *SMALL_SEQUENCES
        ], check=True, capture_output=True, timeout=300)
    return out


def toy_hook(hook):
    """A recipe's hook for a toy run (``tiny_config``'s ``keep_hooks``)."""
    hook = dict(hook)
    if hook['type'] == 'TIPSyCurveHook':
        hook['split'] = 'test'
    elif hook['type'] == 'TIPSyEMAHook':  # from the 2nd iteration, every 2nd
        hook.pop('interval_epochs', None)
        hook.update(begin_epochs=0, interval=2)
    elif hook['type'] == 'EMAHook':
        hook.update({k: 1 for k in ('begin_epoch', 'begin_iter')
                     if hook.get(k)})
    return hook


def tiny_config(path: Path, data_root: Path, base='tipsy_h36m_cpu.py',
                adversarial_epochs=2, distillation_epochs=1, averaging=None,
                train_poses=512, width=32, batch_size=64, extra='',
                keep_hooks=False) -> Path:
    """A config inheriting ``configs/<base>`` at toy size; returns its path.

    ``averaging``: the text of an EMAHook dict for the teacher (None: the
    lifter after the last adversarial epoch). ``keep_hooks``: keep the
    recipe's own ``custom_hooks`` (``averaging`` then unused), a
    ``TIPSyCurveHook`` on the test subjects (the small conversion's train
    file holds S1 alone, no validation subject) and an averaging hook
    starting within the toy run.
    """
    student = ('dict(width=width)' if distillation_epochs > 0
               and base.startswith('tipsy') else 'None')
    hooks = ["dict(type='SyncBuffersHook')", averaging,
             "dict(type='NonFiniteLossHook')"]
    hooks_line = f"custom_hooks = [{', '.join(h for h in hooks if h)}]"
    if keep_hooks:
        from mmengine.config import Config
        kept = Config.fromfile(REPO_ROOT / 'configs' / base,
                               import_custom_modules=False).get(
                                   'custom_hooks') or []
        kept = [toy_hook(h) for h in kept]
        hooks_line = f'custom_hooks = {kept!r}'
    text = f"""_base_ = [{str(REPO_ROOT / 'configs' / base)!r}]
width = {width}
model = dict(lifter=dict(width=width), discriminator=dict(width=width),
             student={student})
train_cfg = dict(adversarial_epochs={adversarial_epochs},
                 distillation_epochs={distillation_epochs})
train_dataloader = dict(batch_size={batch_size}, num_workers=0,
                        persistent_workers=False,
                        dataset=dict(indices={train_poses},
                                     data_root={str(data_root) + '/'!r}))
test_dataloader = dict(dataset=dict(indices=400,
                                    data_root={str(data_root) + '/'!r}))
default_hooks = dict(logger=dict(interval=2))
{hooks_line}
{extra}
"""
    path.write_text(text)
    return path


def run_tool(*args, timeout=240, env=None):
    """Run ``tools/<args[0]>`` with the remaining arguments, one thread."""
    full_env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    full_env.update(env or {})
    command = [sys.executable, str(REPO_ROOT / 'tools' / args[0]),
               *map(str, args[1:])]
    return subprocess.run(command, capture_output=True, text=True,
                          cwd=REPO_ROOT, env=full_env, timeout=timeout)


def free_port() -> int:
    """A TCP port nobody listens on now, for a torchrun rendezvous (a fixed
    port fails when another run holds it)."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def modules_imported_by(*modules):
    """The names in ``sys.modules`` of a fresh interpreter after it imports
    ``modules``: what a torch-only machine would have to provide."""
    code = ('import json, sys\n'
            + ''.join(f'import {m}\n' for m in modules)
            + 'print(json.dumps(sorted(sys.modules)))\n')
    result = subprocess.run([sys.executable, '-c', code],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def top_level(names):
    return {name.split('.')[0] for name in names}

