"""tools/analysis/results_tables.py: the README's summary table, the full
tables in docs/results.md and the metafile are computed from tools/test.py
metrics files, seeds summarised as mean ± std."""
import json
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from tipsy_gan.paths import REPO_ROOT

SCRIPT = REPO_ROOT / 'tools' / 'analysis' / 'results_tables.py'
PROJECT = REPO_ROOT / 'projects' / 'tipsy_gan'
ROWS = PROJECT / 'results_rows.yml'
DOCUMENTS = ('projects/tipsy_gan/README.md',
             'projects/tipsy_gan/docs/results.md')
ACTIONS = ('Directions', 'Discussion', 'Eating', 'Greeting', 'Phoning',
           'Photo', 'Posing', 'Purchases', 'Sitting', 'SittingDown',
           'Smoking', 'Waiting', 'WalkDog', 'Walking', 'WalkTogether')
SUMMARY = '<!-- BEGIN results_tables.py: summary -->\n'
SUMMARY_END = '<!-- END results_tables.py: summary -->'


def block(name):
    return (f'<!-- BEGIN results_tables.py: {name} -->\n'
            f'<!-- END results_tables.py: {name} -->')


def metrics(pa, mirrored):
    out = {'PA-MPJPE': pa, 'PA-MPJPE-reflection': pa - 1,
           'N-MPJPE': pa + 40, 'MPJPE': pa + 90, 'Mirrored': mirrored}
    out.update({f'PA-MPJPE_{a}': pa + i for i, a in enumerate(ACTIONS)})
    return out


def row(name, seed, group='solo', **extra):
    return dict(dict(name=name, model='solo generator', group=group,
                     seed=seed, config='configs/solo_h36m_cpu.py',
                     commands=[f'tools/test.py configs/solo_h36m_cpu.py '
                               f'{name}.pth --out out/{name}.json'],
                     result=f'out/{name}.json', checkpoint_choice='last',
                     table='Solo'), **extra)


def run(tmp_path, rows, files, *args, spec=None):
    (tmp_path / 'out').mkdir(exist_ok=True)
    for name, values in files.items():
        (tmp_path / 'out' / f'{name}.json').write_text(json.dumps(values))
    rows_file = tmp_path / 'rows.yml'
    rows_file.write_text(yaml.safe_dump(dict(
        dict(dataset='H36M', rows=rows), **(spec or {}))))
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(rows_file), '--root',
         str(tmp_path), '--metafile', str(tmp_path / 'metafile.yml'),
         *map(str, args)], capture_output=True, text=True, cwd=REPO_ROOT)


def test_seeds_are_summarised_and_every_row_reaches_the_metafile(tmp_path):
    result = run(tmp_path, [row('a', 0), row('b', 1), row('c', 2)], {
        'a': metrics(80.0, 2.0), 'b': metrics(90.0, 4.0),
        'c': metrics(100.0, 6.0)}, spec=dict(readme_summary=['solo']))
    assert result.returncode == 0, result.stderr
    # mean 90, sample std 10 over three seeds
    assert '| solo | 3 | 90.0 ± 10.0 | 130.0 ± 10.0 | 4.0 ± 2.0 |' in \
        result.stdout
    assert ('| solo | `solo_h36m_cpu.py` | 90.0 ± 10.0 (3 seeds) | '
            '89.0 ± 10.0 | 130.0 ± 10.0 | 4.0 ± 2.0 | not published |'
            ) in result.stdout
    meta = yaml.safe_load((tmp_path / 'metafile.yml').read_text())
    names = [m['Name'] for m in meta['Models']]
    assert names == ['a', 'b', 'c']
    first = meta['Models'][0]
    assert first['Metadata']['Seed'] == 0
    assert first['Metadata']['Command'].startswith('python tools/test.py')
    got = first['Results'][0]['Metrics']
    assert got['PA-MPJPE'] == 80.0
    assert got['PA-MPJPE-reflection'] == 79.0
    assert 'MPJPE' not in got  # a scale-free lifter's unaligned error
    assert got['PA-MPJPE per action']['WalkTogether'] == 94.0


def test_inspection_rows_stay_out_of_the_metafile(tmp_path):
    inspection = dict(row('b', 1), metafile=False, per_action=False)
    result = run(tmp_path, [row('a', 0), inspection],
                 {'a': metrics(80.0, 2.0), 'b': metrics(90.0, 4.0)},
                 spec=dict(readme_summary=['solo']))
    assert result.returncode == 0, result.stderr
    meta = yaml.safe_load((tmp_path / 'metafile.yml').read_text())
    assert [m['Name'] for m in meta['Models']] == ['a']
    assert '| solo | 2 | 85.0 ± 7.1 |' in result.stdout
    per_action = result.stdout.split('PA-MPJPE per action')[1]
    assert '| solo generator | 0 |' in per_action
    assert '| solo generator | 1 |' not in per_action


def test_update_fills_the_blocks_and_keeps_the_rest(tmp_path):
    published = 'projects/x/checkpoints/b.pth (sha256 0123)'
    zero = dict(row('z', 0), model='zero depth', table='Reference',
                weights='none')
    del zero['seed'], zero['group']
    rows = [row('a', 0), row('b', 1, weights=published), zero]
    files = {'a': metrics(80.0, 2.0), 'b': metrics(90.0, 4.0),
             'z': metrics(100.0, 0.0)}
    readme = tmp_path / 'projects' / 'x' / 'README.md'
    docs = tmp_path / 'projects' / 'x' / 'docs' / 'results.md'
    docs.parent.mkdir(parents=True)
    readme.write_text(f'# Title\n\nprose 1.0\n\n{block("summary")}\n\nend\n')
    docs.write_text(f'## Solo\n\n{block("table Solo")}\n\nafter\n\n'
                    f'## Reference\n\n{block("table Reference")}\n')
    result = run(tmp_path, rows, files, '--update', readme, docs,
                 spec=dict(readme_summary=['z', 'solo']))
    assert result.returncode == 0, result.stderr
    text = readme.read_text()
    assert text.startswith('# Title\n\nprose 1.0\n\n' + SUMMARY)
    assert text.endswith(SUMMARY_END + '\n\nend\n')
    table = text[text.index(SUMMARY) + len(SUMMARY):text.index(SUMMARY_END)]
    assert table.splitlines() == [
        '| method | config | PA-MPJPE, mm | PA-MPJPE, reflection allowed | '
        'N-MPJPE, mm | mirrored % | checkpoint |',
        '|---|---|---|---|---|---|---|',
        # links relative to the README's folder; a row without a seed
        '| zero depth | [solo_h36m_cpu.py](../../configs/solo_h36m_cpu.py)'
        ' | 100.0 | 99.0 | 140.0 | 0.0 | none |',
        '| solo | [solo_h36m_cpu.py](../../configs/solo_h36m_cpu.py) | '
        '85.0 ± 7.1 (2 seeds) | 84.0 ± 7.1 | 125.0 ± 7.1 | 3.0 ± 1.4 | seed 1: '
        '[b.pth](checkpoints/b.pth); others not published |']
    full = docs.read_text()
    assert full.startswith('## Solo\n\n<!-- BEGIN results_tables.py: '
                           'table Solo -->\n| method | seeds |')
    assert '\n<!-- END results_tables.py: table Solo -->\n\nafter\n' in full
    assert '| solo | 2 | 85.0 ± 7.1 | 125.0 ± 7.1 | 3.0 ± 1.4 |' in full
    assert '`tools/test.py configs/solo_h36m_cpu.py b.pth --out ' \
        'out/b.json`' in full
    assert '| solo generator | 1 | 90.0 | 91.0 |' in full  # per action
    reference = full.split('table Reference -->\n')[1]
    assert reference.startswith('| row | seed |')  # no group: no summary
    # a second run changes nothing
    before = readme.read_text(), docs.read_text()
    assert run(tmp_path, rows, files, '--update', readme, docs,
               spec=dict(readme_summary=['z', 'solo'])).returncode == 0
    assert (readme.read_text(), docs.read_text()) == before


@pytest.mark.parametrize('text, message', [
    ('no markers at all\n', 'has no block'),
    (block('table Nope') + '\n', "no table 'Nope'"),
    (block('tables') + '\n', "unknown block 'tables'"),
])
def test_a_bad_block_writes_nothing(tmp_path, text, message):
    target = tmp_path / 'README.md'
    target.write_text(text)
    result = run(tmp_path, [row('a', 0)], {'a': metrics(80.0, 2.0)},
                 '--update', target, spec=dict(readme_summary=['solo']))
    assert result.returncode != 0
    assert message in result.stderr
    assert target.read_text() == text
    assert not (tmp_path / 'metafile.yml').exists()


def test_a_missing_metrics_file_names_it_and_the_command(tmp_path):
    result = run(tmp_path, [row('a', 0), row('b', 1)],
                 {'a': metrics(80.0, 2.0)})
    assert result.returncode != 0
    assert 'out/b.json' in result.stderr
    assert 'tools/test.py configs/solo_h36m_cpu.py b.pth' in result.stderr
    assert not (tmp_path / 'metafile.yml').exists()


def test_the_committed_rows_file_is_complete():
    spec = yaml.safe_load(ROWS.read_text())
    names = [r['name'] for r in spec['rows']]
    assert len(names) == len(set(names))
    for r in spec['rows']:
        assert (REPO_ROOT / r['config']).is_file(), r['config']
        # the test command writes the metrics file the row reads
        assert any(f'--out {r["result"]}' in c for c in r['commands']), r


# The committed tables. The metrics files the rows read are written by
# their commands into the git-ignored outputs/ folder, so they are not in a
# clean clone; the committed numbers are. Every row's PA-MPJPE, N-MPJPE and
# mirrored share, and its per-action PA-MPJPE, are read back from
# docs/results.md, everything else from metafile.yml (which must agree),
# into metrics files; the tool must then write the committed README,
# docs/results.md and metafile.yml again. Those figures have one decimal,
# so a mean ± std may come out 0.1 off the committed one (computed from the
# full-precision files); every other figure and all text must be identical.
def table_cells(line):
    return [cell.strip() for cell in line.strip().strip('|').split(' | ')]


def figure(cell):
    return None if cell == '–' else float(cell)


def committed_metrics():
    """{row name: metrics} from docs/results.md and metafile.yml."""
    spec = yaml.safe_load(ROWS.read_text())
    meta = yaml.safe_load((PROJECT / 'metafile.yml').read_text())
    meta = {m['Name']: m['Results'][0]['Metrics'] for m in meta['Models']}
    blocks = dict(re.findall(
        r'<!-- BEGIN results_tables\.py: table (.+?) -->\n(.*?)<!-- END',
        (PROJECT / 'docs' / 'results.md').read_text(), re.S))
    found = {}
    for r in spec['rows']:
        rows_part, _, per_action = blocks[r['table']].partition(
            'PA-MPJPE per action, mm:')
        commands = '; '.join(f'`{c}`' for c in r['commands'])
        start = f'| {r["model"]} | {r.get("seed", "–")} | '
        [line] = [l for l in rows_part.splitlines()
                  if l.startswith(start + commands)]
        m = dict(zip(('PA-MPJPE', 'N-MPJPE', 'Mirrored'),
                     map(figure, table_cells(line)[-4:-1])))
        if r.get('per_action', True):
            [line] = [l for l in per_action.splitlines()
                      if l.startswith(start)]
            cells = table_cells(line)[2:]
            m.update({f'PA-MPJPE_{a}': figure(c)
                      for a, c in zip(ACTIONS, cells)})
            assert figure(cells[-1]) == m['PA-MPJPE'], r['name']
        for key, value in meta.get(r['name'], {}).items():
            if key == 'PA-MPJPE per action':
                for action, v in value.items():
                    assert m[f'PA-MPJPE_{action}'] == v, (r['name'], action)
            elif key in m:
                assert m[key] == value, (r['name'], key)
            else:
                m[key] = value
        found[r['name']] = {k: v for k, v in m.items() if v is not None}
    return spec, found


def same_up_to_rounding(generated, committed):
    """Identical, except figures of 'mean ± std' lines may be 0.1 off."""
    number = re.compile(r'\d+\.\d')
    gen, com = generated.splitlines(), committed.splitlines()
    assert len(gen) == len(com)
    for a, b in zip(gen, com):
        if a == b:
            continue
        assert '±' in b, f'generated:\n{a}\ncommitted:\n{b}'
        assert number.sub('#', a) == number.sub('#', b), (a, b)
        for x, y in zip(number.findall(a), number.findall(b)):
            assert abs(float(x) - float(y)) <= 0.1 + 1e-9, (a, b)


def test_the_committed_tables_are_what_the_tool_writes(tmp_path):
    spec, found = committed_metrics()
    for r in spec['rows']:
        path = tmp_path / r['result']
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(found[r['name']]))
    copies = []
    for document in DOCUMENTS:
        copy = tmp_path / document
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO_ROOT / document, copy)
        copies.append(copy)
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(ROWS), '--root', str(tmp_path),
         '--update', *map(str, copies), '--metafile',
         str(tmp_path / 'metafile.yml')],
        capture_output=True, text=True, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr
    assert 'is in none of the --update files' not in result.stderr
    assert (tmp_path / 'metafile.yml').read_text() == \
        (PROJECT / 'metafile.yml').read_text()
    for document, copy in zip(DOCUMENTS, copies):
        same_up_to_rounding(copy.read_text(),
                            (REPO_ROOT / document).read_text())
    # the README's table is the summary block, with the methods it names
    readme = (PROJECT / 'README.md').read_text()
    table = readme[readme.index(SUMMARY):readme.index(SUMMARY_END)]
    assert '| TIPSy (distilled student) | [tipsy_h36m_cpu.py]' in table
    assert 'BEGIN results_tables.py: table' not in readme  # long ones: docs


def test_rows_without_a_metrics_file_are_read_back_from_the_metafile(
        tmp_path):
    """Metrics files are git-ignored outputs: on another machine the rows
    written before come back from the committed metafile (rounded to 0.1),
    a new row from its file, and a row in neither keeps its block."""
    rows = [row('a', 0), row('b', 1)]
    first = run(tmp_path, rows, {'a': metrics(80.04, 2.0),
                                 'b': metrics(90.0, 4.0)},
                spec=dict(readme_summary=['solo']))
    assert first.returncode == 0, first.stderr
    (tmp_path / 'out' / 'a.json').unlink()  # another machine
    new = row('c', 2, group='new', table='New')
    inspection = dict(row('d', 0, group='old', table='Old'), metafile=False)
    docs = tmp_path / 'results.md'
    kept = ('<!-- BEGIN results_tables.py: table Old -->\nold body\n'
            '<!-- END results_tables.py: table Old -->')
    docs.write_text(f'{block("table New")}\n\n{kept}\n')
    second = run(tmp_path, rows + [new, inspection],
                 {'c': metrics(70.0, 1.0)}, '--update', docs,
                 spec=dict(readme_summary=['solo', 'new']))
    assert second.returncode == 0, second.stderr
    assert "read back from the metafile" in second.stderr and ': a' in \
        second.stderr
    meta = yaml.safe_load((tmp_path / 'metafile.yml').read_text())
    assert [m['Name'] for m in meta['Models']] == ['a', 'b', 'c']
    assert meta['Models'][0]['Results'][0]['Metrics']['PA-MPJPE'] == 80.0
    text = docs.read_text()
    assert '| solo generator | 2 |' in text and '70.0' in text
    assert 'old body' in text  # row 'd' is in neither: its block is kept
