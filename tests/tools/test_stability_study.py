"""tools/analysis/stability_study.py end to end at toy size: two kinds, the
curves, the summary and the plot; a killed run resumes, a finished one is
kept, and another study's work dir is refused."""
import json
import os
from pathlib import Path

import pytest

from tipsy_gan.research.curve import read_curve
from tipsy_gan_helpers import run_tool, small_h36m, tiny_config


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    return small_h36m(tmp_path_factory)


def study(config, work_dir, *extra):
    # the small conversion has no S8: the curves score its test subject
    result = run_tool('analysis/stability_study.py', config, '--work-dir',
                      work_dir, '--seeds', '0', '--adversarial-epochs', '2',
                      '--interval-epochs', '0.5', '--split', 'test',
                      '--stride', '1',
                      '--range', '1', '2', '--jobs', '2', *extra,
                      timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def test_study_runs_summarises_and_resumes(tmp_path, data_root):
    config = tiny_config(tmp_path / 'config.py', data_root,
                         distillation_epochs=0)
    work = tmp_path / 'study'
    study(config, work)
    for name in ('study.csv', 'stability.png', 'summary.json', 'summary.md',
                 'zero_depth.json'):
        assert (work / name).is_file(), name
    summary = json.loads((work / 'summary.json').read_text())
    for kind in ('solo', 'parts'):
        k = summary['kinds'][kind]
        assert k['averaged']['n'] == 1 and k['rule']['n'] == 1
        assert k['oracle']['mean'] <= k['last']['mean']
        assert k['oracle']['mean'] <= k['rule']['mean']
    rows = read_curve(work / 'study.csv')
    assert sorted({r['kind'] for r in rows}) == ['parts', 'solo']
    assert len(rows) == 2 * 4  # iterations 4, 8, 12, 16 of each kind

    # the rules judged on the recorded curves
    judged = run_tool('analysis/judge_stopping_rules.py', work, '--out',
                      tmp_path / 'rules.json')
    assert judged.returncode == 0, judged.stderr[-3000:]
    rules = json.loads((tmp_path / 'rules.json').read_text())
    from tipsy_gan.research.stopping import CANDIDATE_RULES
    assert set(rules) == set(CANDIDATE_RULES)
    for result in rules.values():
        assert len(result['runs']) == 2 and result['mean_gap'] >= 0
    assert '| oracle (reads S8 3D) |' in judged.stdout

    # kill the parts run after its first epoch: no done mark, and its last
    # checkpoint is epoch 1's
    parts = work / 'parts_seed0'
    curve_before = read_curve(parts / 'curve.csv')
    (parts / 'study_done').unlink()
    (parts / 'epoch_2.pth').unlink()
    (parts / 'last_checkpoint').write_text(str(parts / 'epoch_1.pth'))
    solo_mtime = os.path.getmtime(work / 'solo_seed0' / 'curve.csv')
    result = study(config, work)
    assert 'parts seed 0: resume' in result.stdout
    assert 'solo seed 0: done' in result.stdout
    assert os.path.getmtime(work / 'solo_seed0' / 'curve.csv') == solo_mtime
    curve_after = read_curve(parts / 'curve.csv')
    assert [r['iter'] for r in curve_after] == \
        [r['iter'] for r in curve_before]
    for got, want in zip(curve_after, curve_before):
        assert got['PA-MPJPE'] == pytest.approx(want['PA-MPJPE'])

    # other options on the same work dir are another study: refused
    result = run_tool('analysis/stability_study.py', config, '--work-dir',
                      work, '--seeds', '0', '--adversarial-epochs', '3',
                      '--interval-epochs', '0.5', '--split', 'test')
    assert result.returncode != 0
    assert 'holds a different config' in result.stderr
