"""tools/analysis/benchmark_tipsy.py runs and reports what it promises (its
figures are measurements, never asserted here)."""
import re

from tipsy_gan_helpers import run_tool


def test_profile_splits_each_setting_into_kinds_that_sum_to_the_step():
    result = run_tool('analysis/benchmark_tipsy.py', '--threads', '1',
                      '--width', '16', '--batch-size', '8', '--num-poses',
                      '64', '--recipe', 'cpu', '--train', 'fp32',
                      'batchnorm+fused', '--steps', '2', '--warmup', '1',
                      '--profile')
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert 'bf16 instructions:' in out and "network_dtype='auto'" in out
    header = ('| setting | ms a step | matmul | elementwise | normalisation |'
              ' optimiser | python/dispatch |')
    assert header in out
    rows = [line for line in out.splitlines()
            if line.startswith(('| fp32 |', '| batchnorm+fused |'))]
    assert len(rows) == 2
    for row in rows:
        cells = row.strip('|').split('|')
        step_ms = float(cells[1])
        parts = [re.match(r'\s*([\d.]+) \((\d+)%\)', c) for c in cells[2:]]
        assert all(parts), row
        assert abs(sum(float(p.group(1)) for p in parts) - step_ms) \
            <= 0.02 * step_ms + 0.3, row
