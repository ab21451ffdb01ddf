"""The real chain for the demo tests: MMPose's HRNet-w32 (256x192, COCO) at
its initial weights, the published TIPSy student, the Human3.6M fixture."""
import importlib.util
import shutil

import numpy as np
import pytest
import torch

from tipsy_gan.paths import PUBLISHED_STUDENT, REPO_ROOT, h36m_fixture_dir

torch.set_num_threads(1)
HRNET_CONFIG = (REPO_ROOT / 'configs' / 'demo' /
                'td-hm_hrnet-w32_coco-256x192.py')
# Initial weights score keypoints in about [-0.3, 0.4]: every keypoint is
# drawn, and everyone is lifted unless a test sets a threshold.
DRAW_ALL = dict(kpt_thr=-np.inf, min_keypoint_score=None)
NO_FLIP = dict(model=dict(test_cfg=dict(flip_test=False)))  # half the time


def load_demo_script(name):
    """demo/NAME.py as a module (demo/ is scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(
        f'demo_{name}', REPO_ROOT / 'demo' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='session')
def fixture_dir(shared):
    path = h36m_fixture_dir()
    assert path.is_dir(), path
    if not PUBLISHED_STUDENT.is_file():
        pytest.fail(f'the published TIPSy student is missing: '
                    f'{PUBLISHED_STUDENT}')
    return path


@pytest.fixture(scope='session')
def fixture_frames(fixture_dir):
    """The fixture's four frames, by name (1000 x 1002 and 1000 x 1000)."""
    return sorted(fixture_dir.glob('S*/*/*.jpg'))


@pytest.fixture(scope='session')
def frames_folder(fixture_frames, tmp_path_factory):
    """The four frames in one folder, as a user would pass them."""
    folder = tmp_path_factory.mktemp('frames')
    for frame in fixture_frames:
        shutil.copyfile(frame, folder / frame.name)
    return folder


@pytest.fixture(scope='session')
def chain(fixture_dir):
    from tipsy_gan.apis.chain import ImageTo3D
    torch.manual_seed(0)  # the same initial weights, so the same keypoints
    return ImageTo3D(HRNET_CONFIG, None, cfg_options_2d=NO_FLIP, **DRAW_ALL)
