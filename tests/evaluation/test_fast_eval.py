"""The fast evaluator gives tools/test.py's metrics: the same keys, every
value within 0.01 (mm for errors, percentage points for PCK/AUC/mirrored)."""
import json
import subprocess
import sys

import pytest

from tipsy_gan.apis.fast_eval import fast_evaluate
from tipsy_gan.paths import PUBLISHED_STUDENT, REPO_ROOT

NUM_POSES = 1000  # the first 1000 test poses, both tools
LIFTER = REPO_ROOT / 'configs' / 'tipsy_h36m_cpu_lifter.py'


def test_fast_eval_equals_test_tool_on_the_published_student(converted_h36m,
                                                             tmp_path):
    options = [f'test_dataloader.dataset.data_root={converted_h36m}/',
               f'test_dataloader.dataset.indices={NUM_POSES}']
    slow_out, fast_out = tmp_path / 'slow.json', tmp_path / 'fast.json'
    slow = subprocess.run(
        [sys.executable, str(REPO_ROOT / 'tools' / 'test.py'), str(LIFTER),
         str(PUBLISHED_STUDENT), '--work-dir', str(tmp_path / 'work'),
         '--out', str(slow_out), '--cfg-options', *options],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=600)
    assert slow.returncode == 0, slow.stderr[-3000:]
    fast = subprocess.run(
        [sys.executable, str(REPO_ROOT / 'tools' / 'analysis' / 'fast_eval.py'),
         str(LIFTER), str(PUBLISHED_STUDENT), '--out', str(fast_out),
         '--cfg-options', *options],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=600)
    assert fast.returncode == 0, fast.stderr[-3000:]
    expected = json.loads(slow_out.read_text())
    got = json.loads(fast_out.read_text())
    assert got.keys() == expected.keys()
    for key in ('PA-MPJPE', 'PA-MPJPE-reflection', 'N-MPJPE', 'PCK3D', 'AUC',
                'Mirrored', 'PA-MPJPE_Directions', 'Mirrored_Directions'):
        assert key in got
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, abs=0.01), key
    # the library function is what the tool runs
    direct = fast_evaluate(LIFTER, str(PUBLISHED_STUDENT), cfg_options={
        'test_dataloader.dataset.data_root': f'{converted_h36m}/',
        'test_dataloader.dataset.indices': NUM_POSES})
    assert direct == got


def test_fast_eval_refuses_a_model_it_cannot_decode(converted_h36m):
    with pytest.raises(TypeError, match='tools/test.py'):
        fast_evaluate(REPO_ROOT / 'configs' / 'supervised_h36m_cpu.py', None,
                      cfg_options={
                          'test_dataloader.dataset.data_root':
                          f'{converted_h36m}/',
                          'test_dataloader.dataset.indices': 10})
