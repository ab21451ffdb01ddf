"""tools/gpu/paper_scale_run.sh, the prepared device command, dry-run on the
CPU (TIPSY_DRY_RUN=1) without mmcv or MMPose: both modes finish,
and what they leave in $OUT is what the device tool brings back (at most 8
files of at most 16 MiB, plain names)."""
import json
import re
import subprocess
import sys

import numpy as np
import pytest
import torch

from standalone_helpers import read_log, standalone_env, toy_pose_file
from tipsy_gan.paths import PUBLISHED_STUDENT, REPO_ROOT
from tipsy_gan.standalone import checkpoint as ckpt
from tipsy_gan.standalone.lifting import lift_h36m, load_exported_student

SCRIPT = REPO_ROOT / 'tools' / 'gpu' / 'paper_scale_run.sh'
RETURNABLE = re.compile(r'^[A-Za-z0-9._-]+$')


@pytest.fixture(scope='module')
def pose_file(tmp_path_factory):
    return toy_pose_file(tmp_path_factory.mktemp('poses'), 1280, seed=1)


def run_script(mode, pose_file, tmp_path):
    out = tmp_path / f'out_{mode}'
    # a budget far above the toy run's need, so that the plan reaches the
    # epoch cap on a loaded machine too (the run stops at the cap)
    env = standalone_env(tmp_path, dict(
        TIPSY_DRY_RUN='1', PYTHON=sys.executable, OUT=str(out),
        TIPSY_GPU_DATA=str(pose_file), TIPSY_MAX_MINUTES='4'))
    result = subprocess.run(['bash', str(SCRIPT), mode], capture_output=True,
                            text=True, cwd=REPO_ROOT, env=env, timeout=240)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    files = [p for p in out.rglob('*') if p.is_file()]
    assert len(files) <= 8, files
    for path in files:
        assert path.stat().st_size <= 16 * 2**20, path
        assert RETURNABLE.match(path.name), path
    return out, result.stdout


def test_smoke_dry_run(pose_file, tmp_path):
    out, stdout = run_script('smoke', pose_file, tmp_path)
    report = json.loads((out / 'smoke.json').read_text())
    assert report['ok'], report['failures']
    assert report['environment']['device_name'] == 'cpu'
    assert report['data']['num_poses'] == 1280
    assert report['step']['width'] == 16
    eager = report['step']['eager']
    assert eager['adversarial']['losses_finite']
    assert eager['distillation']['losses_finite']
    assert report['lifting']['ok']
    assert '[smoke] ok' in stdout


def test_full_dry_run(pose_file, tmp_path):
    out, stdout = run_script('full', pose_file, tmp_path)
    log = read_log(out / 'train_log.jsonl')
    plan = [r for r in log if r['event'] == 'budget_plan'][0]
    assert plan['adversarial_epochs'] == 2  # the dry run's cap
    summary = log[-1]
    assert summary['event'] == 'summary'
    assert summary['min_adversarial_epochs_reached']
    assert summary['adversarial_steps'] == 2 * 1280 // 64
    assert summary['distillation_steps'] == 1280 // 64
    payload = ckpt.read_return(out / 'tipsy_return.manifest.json')
    assert any(k.startswith('student.') for k in payload['state_dict'])
    assert (out / 'full.log').is_file()


def test_the_core_lifting_path_is_the_demos(shared):
    """standalone.lifting.lift_h36m (core functions, no mmpose) lifts as
    apis.lifting.lift_h36m does with MMPose's PoseLifter."""
    from tipsy_gan.apis.lifting import lift_h36m as lift_with_mmpose
    from tipsy_gan.apis.lifting import load_pose_lifter
    torch.set_num_threads(1)
    with np.load(shared / 'data' / 'mmpose_h36m_fixture' /
                 'test_h36m_body3d.npz') as data:
        keypoints = torch.from_numpy(data['part'][..., :2].astype(np.float32))
    expected = lift_with_mmpose(load_pose_lifter(), keypoints)
    got = lift_h36m(load_exported_student(PUBLISHED_STUDENT), keypoints)
    assert got.shape == (len(keypoints), 17, 3)
    assert torch.allclose(got, expected, rtol=0, atol=1e-4)
