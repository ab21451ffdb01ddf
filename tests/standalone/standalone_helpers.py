"""Shared by the standalone-trainer tests: tools/gpu/*.py loaded as modules,
the standalone CLI in a subprocess, and a pose file of the small conversion."""
import importlib.util
import json
import os
import subprocess
import sys

from tipsy_gan.paths import REPO_ROOT

STANDALONE = REPO_ROOT / 'tools' / 'train_standalone.py'
RECIPE = REPO_ROOT / 'tools' / 'gpu' / 'recipes' / 'tipsy_h36m.json'
# A meta-path finder that refuses the MMPose stack: what the GPU machine
# lacks. sitecustomize runs at interpreter start when its folder is on
# PYTHONPATH.
BLOCKER = '''import sys
class _NoMM:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('mmengine', 'mmcv', 'mmpose', 'mmdet'):
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
    """One thread, and mmengine/mmcv/mmpose made unimportable."""
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
