import subprocess
import sys

import pytest

from tipsy_gan.paths import REPO_ROOT, converted_h36m_dir, shared_dir


@pytest.fixture(scope='session')
def shared():
    path = shared_dir()
    if not path.is_dir():
        pytest.fail(f'shared data folder not found: {path} (set TIPSY_SHARED_DIR)')
    return path


@pytest.fixture(scope='session')
def converted_h36m(shared):
    """The full converted Human3.6M (all subjects, both frame rates).

    Converted once into the git-ignored data folder and reused by later runs;
    the converter moves files into place only when it has finished them all.
    """
    out_dir = converted_h36m_dir()
    finished = out_dir / 'annotation_body3d' / 'fps10' / 'h36m_test.npz'
    if not finished.is_file():
        subprocess.run([
            sys.executable,
            str(REPO_ROOT / 'tools' / 'dataset_converters' / 'h36m_expmap_to_mmpose.py'),
            '--expmap-dir', str(shared / 'data' / 'h36m_expmap'),
            '--cameras', str(shared / 'data' / 'h36m_cameras' / 'cameras.pkl'),
            '--out-dir', str(out_dir),
        ], check=True)
    return out_dir
