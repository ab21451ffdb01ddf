"""tools/test.py runs MMPose's evaluation loop with our metrics on converted S9/S11."""
import json
import os
import subprocess
import sys

import pytest

from tipsy_gan.paths import PUBLISHED_STUDENT, REPO_ROOT
from tipsy_gan_helpers import free_port

# A deterministic slice of the fps10 test split keeps this test short; the full
# split is what the results table reports.
NUM_TEST_POSES = 3000


def run_test_tool(config, checkpoint, data_root, tmp_path, extra=()):
    out = tmp_path / 'metrics.json'
    cmd = [sys.executable, str(REPO_ROOT / 'tools' / 'test.py'),
           str(REPO_ROOT / 'configs' / config), checkpoint,
           '--work-dir', str(tmp_path / 'work'), '--out', str(out),
           '--cfg-options', f'test_dataloader.dataset.data_root={data_root}/',
           f'test_dataloader.dataset.indices={NUM_TEST_POSES}', *extra]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO_ROOT)
    return result, out


@pytest.mark.parametrize('config, low, high', [
    ('reference/rigid_oracle_h36m.py', 0.0, 1e-3),
    ('reference/zero_depth_h36m.py', 50.0, 250.0),
])
def test_reference_lifters_through_mmpose_loop(converted_h36m, tmp_path, config,
                                               low, high):
    result, out = run_test_tool(config, 'none', converted_h36m, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads(out.read_text())
    assert low <= metrics['PA-MPJPE'] <= high, metrics
    # Per-action keys exist for the actions present in the slice.
    assert any(key.startswith('PA-MPJPE_') for key in metrics), metrics


def test_missing_checkpoint_names_the_file(converted_h36m, tmp_path):
    result, out = run_test_tool('reference/zero_depth_h36m.py',
                                str(tmp_path / 'nope.pth'), converted_h36m, tmp_path)
    assert result.returncode != 0
    assert 'checkpoint not found' in result.stderr and 'nope.pth' in result.stderr
    assert not out.exists()


@pytest.mark.parametrize('config, checkpoint', [
    ('tipsy_h36m_cpu_lifter.py', str(PUBLISHED_STUDENT)),
    ('reference/zero_depth_h36m.py', 'none'),  # no parameters: DDP would refuse it
])
def test_two_processes_give_the_one_process_metrics(converted_h36m, tmp_path,
                                                    config, checkpoint):
    """tools/dist_test.sh on CPU (gloo): every pose counted once, so the
    metrics equal a single process's. An odd count leaves the ranks uneven;
    a lost or repeated pose would move PA-MPJPE by ~0.1 mm."""
    options = ['--cfg-options',
               f'test_dataloader.dataset.data_root={converted_h36m}/',
               'test_dataloader.dataset.indices=1001']
    config = str(REPO_ROOT / 'configs' / config)
    one, two = tmp_path / 'one.json', tmp_path / 'two.json'
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHON=sys.executable,
               PORT=str(free_port()))
    single = subprocess.run(
        [sys.executable, str(REPO_ROOT / 'tools' / 'test.py'), config,
         checkpoint, '--work-dir', str(tmp_path / 'w1'),
         '--out', str(one), *options],
        capture_output=True, text=True, cwd=REPO_ROOT, env=env, timeout=300)
    assert single.returncode == 0, single.stderr[-3000:]
    double = subprocess.run(
        ['bash', str(REPO_ROOT / 'tools' / 'dist_test.sh'), config,
         checkpoint, '2', '--work-dir', str(tmp_path / 'w2'),
         '--out', str(two), *options],
        capture_output=True, text=True, cwd=REPO_ROOT, env=env, timeout=300)
    assert double.returncode == 0, (double.stdout + double.stderr)[-4000:]
    metrics_one = json.loads(one.read_text())
    metrics_two = json.loads(two.read_text())
    assert metrics_one.keys() == metrics_two.keys()
    assert 'PA-MPJPE' in metrics_one
    for key, value in metrics_one.items():
        assert metrics_two[key] == pytest.approx(value, abs=1e-4), key
