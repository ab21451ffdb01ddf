"""tools/analysis/results_tables.py: the README tables and the metafile are
computed from tools/test.py metrics files, seeds summarised as mean ± std."""
import json
import subprocess
import sys

import yaml

from tipsy_gan.paths import REPO_ROOT

SCRIPT = REPO_ROOT / 'tools' / 'analysis' / 'results_tables.py'
ACTIONS = ('Directions', 'Discussion', 'Eating', 'Greeting', 'Phoning',
           'Photo', 'Posing', 'Purchases', 'Sitting', 'SittingDown',
           'Smoking', 'Waiting', 'WalkDog', 'Walking', 'WalkTogether')


def metrics(pa, mirrored):
    out = {'PA-MPJPE': pa, 'N-MPJPE': pa + 40, 'MPJPE': pa + 90,
           'Mirrored': mirrored}
    out.update({f'PA-MPJPE_{a}': pa + i for i, a in enumerate(ACTIONS)})
    return out


def row(name, seed, group='solo'):
    return dict(name=name, model='solo generator', group=group, seed=seed,
                config='configs/solo_h36m_cpu.py',
                commands=[f'tools/test.py configs/solo_h36m_cpu.py {name}.pth'
                          f' --out out/{name}.json'],
                result=f'out/{name}.json', checkpoint_choice='last')


def run(tmp_path, rows, files):
    (tmp_path / 'out').mkdir(exist_ok=True)
    for name, values in files.items():
        (tmp_path / 'out' / f'{name}.json').write_text(json.dumps(values))
    spec = tmp_path / 'rows.yml'
    spec.write_text(yaml.safe_dump({'dataset': 'H36M', 'rows': rows}))
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(spec), '--root', str(tmp_path),
         '--metafile', str(tmp_path / 'metafile.yml')],
        capture_output=True, text=True, cwd=REPO_ROOT)


def test_seeds_are_summarised_and_every_row_reaches_the_metafile(tmp_path):
    result = run(tmp_path, [row('a', 0), row('b', 1), row('c', 2)], {
        'a': metrics(80.0, 2.0), 'b': metrics(90.0, 4.0),
        'c': metrics(100.0, 6.0)})
    assert result.returncode == 0, result.stderr
    # mean 90, sample std 10 over three seeds
    assert '| solo | 3 | 90.0 ± 10.0 | 130.0 ± 10.0 | 4.0 ± 2.0 |' in \
        result.stdout
    meta = yaml.safe_load((tmp_path / 'metafile.yml').read_text())
    names = [m['Name'] for m in meta['Models']]
    assert names == ['a', 'b', 'c']
    first = meta['Models'][0]
    assert first['Metadata']['Seed'] == 0
    assert first['Metadata']['Command'].startswith('python tools/test.py')
    got = first['Results'][0]['Metrics']
    assert got['PA-MPJPE'] == 80.0
    assert 'MPJPE' not in got  # a scale-free lifter's unaligned error
    assert got['PA-MPJPE per action']['WalkTogether'] == 94.0


def test_inspection_rows_stay_out_of_the_metafile(tmp_path):
    inspection = dict(row('b', 1), metafile=False, per_action=False)
    result = run(tmp_path, [row('a', 0), inspection],
                 {'a': metrics(80.0, 2.0), 'b': metrics(90.0, 4.0)})
    assert result.returncode == 0, result.stderr
    meta = yaml.safe_load((tmp_path / 'metafile.yml').read_text())
    assert [m['Name'] for m in meta['Models']] == ['a']
    assert '| solo | 2 | 85.0 ± 7.1 |' in result.stdout
    per_action = result.stdout.split('PA-MPJPE per action')[1]
    assert '| solo generator | 0 |' in per_action
    assert '| solo generator | 1 |' not in per_action


def test_a_missing_metrics_file_names_it_and_the_command(tmp_path):
    result = run(tmp_path, [row('a', 0), row('b', 1)],
                 {'a': metrics(80.0, 2.0)})
    assert result.returncode != 0
    assert 'out/b.json' in result.stderr
    assert 'tools/test.py configs/solo_h36m_cpu.py b.pth' in result.stderr
    assert not (tmp_path / 'metafile.yml').exists()


def test_the_committed_rows_file_is_complete():
    spec = yaml.safe_load(
        (REPO_ROOT / 'projects/tipsy_gan/results_rows.yml').read_text())
    names = [r['name'] for r in spec['rows']]
    assert len(names) == len(set(names))
    for r in spec['rows']:
        assert (REPO_ROOT / r['config']).is_file(), r['config']
        # the test command writes the metrics file the row reads
        assert any(f'--out {r["result"]}' in c for c in r['commands']), r
