"""Shared by the standalone-trainer tests: tools/gpu/*.py loaded as modules,
the standalone CLI in a subprocess, and a pose file of the small conversion."""
import importlib.util
import json
import os
import subprocess
import sys

from tipsy_gan.paths import REPO_ROOT

STANDALONE = REPO_ROOT / 'tools' / 'train_standalone.py'
PAPER_CONFIG = REPO_ROOT / 'configs' / 'tipsy_h36m.py'
# A meta-path finder that refuses the compiled OpenMMLab stack: what the GPU
# machine lacks (mmengine, pure Python, travels as a wheel: docs/gpu_run.md).
# sitecustomize runs at interpreter start when its folder is on PYTHONPATH.
BLOCKER = '''import sys
class _NoMM:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('mmcv', 'mmpose', 'mmdet', 'xtcocotools'):
            raise ImportError(f'{name} is not available (GPU machine)')
        return None
sys.meta_path.insert(0, _NoMM())
'''


def load_tool(name):
    """``tools/gpu/<name>.py`` as a module."""
    path = REPO_ROOT / 'tools' / 'gpu' / f'{name}.py'
    spec = importlib.util.spec_from_file_location(f'gpu_{name}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def blocker_dir(tmp_path):
    folder = tmp_path / 'no_mm'
    folder.mkdir(exist_ok=True)
    (folder / 'sitecustomize.py').write_text(BLOCKER)
    return folder


def standalone_env(tmp_path, extra=None):
    """One thread, and mmcv/mmpose made unimportable."""
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    env['PYTHONPATH'] = os.pathsep.join(
        p for p in (str(blocker_dir(tmp_path)), env.get('PYTHONPATH')) if p)
    env.update(extra or {})
    return env


def run_standalone(tmp_path, *args, timeout=240):
    result = subprocess.run(
        [sys.executable, str(STANDALONE), *map(str, args)],
        capture_output=True, text=True, cwd=REPO_ROOT,
        env=standalone_env(tmp_path), timeout=timeout)
    return result


def read_log(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def toy_pose_file(directory, num_poses, seed):
    """A pose file of random normalised poses (max |coordinate| 1), no
    dataset needed; returns its path."""
    import numpy as np
    from tipsy_gan.standalone.data import write_pose_file
    rng = np.random.default_rng(seed)
    poses = rng.normal(size=(num_poses, 16, 2)).astype(np.float32)
    poses /= np.abs(poses).max(axis=(1, 2), keepdims=True)
    path = directory / 'toy.npz'
    write_pose_file(path, poses, subjects=['toy'], source='toy',
                    source_sha256='0' * 64)
    return path

