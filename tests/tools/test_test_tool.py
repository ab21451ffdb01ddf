"""tools/test.py runs MMPose's evaluation loop with our metrics on converted S9/S11."""
import json
import subprocess
import sys

import pytest

from tipsy_gan.paths import REPO_ROOT

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
