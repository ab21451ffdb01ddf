"""Build the results tables and the MMPose-style metafile from the metrics
files that ``tools/test.py --out`` wrote.

    python tools/analysis/results_tables.py \
        projects/tipsy_gan/results_rows.yml \
        --update projects/tipsy_gan/README.md \
        projects/tipsy_gan/docs/results.md \
        --metafile projects/tipsy_gan/metafile.yml

The rows file names, for every row, its config, the exact commands, where the
metrics JSON is, the seed and how its weights were chosen. Rows that share a
``group`` are seeds of one method: summaries give their mean ± sample
standard deviation. Nothing is typed in by hand: every figure comes from a
metrics file, which the row's commands rewrite.

``--update`` rewrites, in each file given, the text between

    <!-- BEGIN results_tables.py: BLOCK -->
    <!-- END results_tables.py: BLOCK -->

and leaves the rest alone. BLOCK is ``summary`` (one line per method of
``README_SUMMARY``: mean ± std over seeds, config, checkpoint) or
``table NAME`` (the rows file's table NAME in full: its methods' mean ± std,
every row with its commands, and PA-MPJPE per action). Links in a block are
relative to its file. Without ``--update`` every block is printed.

A row whose metrics file is not on this machine (they are git-ignored
outputs) is read back from the ``--metafile`` this tool wrote before, rounded
to 0.1 mm as written there, and a note lists those rows; a block with a row
found in neither is left as it is.
"""
import argparse
import json
import math
import os
import re
import sys
from pathlib import Path

import yaml

from tipsy_gan.core.skeleton import H36M_ACTIONS as ACTIONS

REPO_ROOT = Path(__file__).resolve().parents[2]

# Column order of the paper's Table 1 (and MMPose's Human3.6M tables).
SHORT = ('Direct.', 'Discuss', 'Eat', 'Greet', 'Phone', 'Photo', 'Posing',
         'Purch.', 'Sit', 'SitD', 'Smoke', 'Wait', 'WalkD', 'Walk', 'WalkT')
SUMMARY_METRICS = ('PA-MPJPE', 'N-MPJPE', 'Mirrored')
ROW_KEYS = {'name', 'model', 'config', 'commands', 'result'}
# The README's one table: these groups and ungrouped rows, in this order (a
# rows file may set its own with a top-level `readme_summary:` list).
README_SUMMARY = ('zero_depth_h36m', 'solo_cpu', 'parts_cpu', 'tipsy_cpu',
                  'tipsy_h36m_cpu_published_student', 'supervised_h36m_cpu')
BLOCK = re.compile(
    r'(<!-- BEGIN results_tables\.py: (?P<name>[^\n]+?) -->\n)'
    r'(?P<body>.*?)'
    r'(<!-- END results_tables\.py: (?P=name) -->)', re.S)


class RowsError(ValueError):
    pass


def load_rows(path):
    spec = yaml.safe_load(Path(path).read_text())
    rows = spec.get('rows') if isinstance(spec, dict) else None
    if not rows:
        raise RowsError(f'{path}: no rows')
    names = set()
    for row in rows:
        missing = ROW_KEYS - set(row)
        if missing:
            raise RowsError(f'{path}: row {row.get("name")!r} lacks '
                            f'{sorted(missing)}')
        if row['name'] in names:
            raise RowsError(f'{path}: duplicate row name {row["name"]!r}')
        names.add(row['name'])
    return spec, rows


def load_metrics(row, root=REPO_ROOT):
    path = root / row['result']
    if not path.is_file():
        raise RowsError(f'row {row["name"]!r}: no metrics file {path}; run '
                        f'its commands: {" && ".join(row["commands"])}')
    metrics = json.loads(path.read_text())
    if 'PA-MPJPE' not in metrics:
        raise RowsError(f'{path} has no PA-MPJPE (not a tools/test.py '
                        '--out file?)')
    return metrics


def metafile_metrics(path):
    """{row name: metrics} read back from a metafile this tool wrote, keyed
    as ``tools/test.py --out`` files (rounded to 0.1 mm, as written)."""
    if not path or not Path(path).is_file():
        return {}
    document = yaml.safe_load(Path(path).read_text()) or {}
    found = {}
    for model in document.get('Models', []):
        values = dict(model['Results'][0]['Metrics'])
        per_action = values.pop('PA-MPJPE per action', {}) or {}
        values.update({f'PA-MPJPE_{a}': v for a, v in per_action.items()})
        found[model['Name']] = values
    return found


def gather_metrics(rows, root, previous):
    """{row name: metrics} from each row's metrics file or, where that file
    is not on this machine, from ``previous`` (the committed metafile); rows
    in neither are left out (their blocks are kept as they are)."""
    metrics, from_metafile, missing = {}, [], {}
    for row in rows:
        try:
            metrics[row['name']] = load_metrics(row, root)
        except RowsError as error:
            if row['name'] not in previous:
                missing[row['name']] = error
                continue
            metrics[row['name']] = previous[row['name']]
            from_metafile.append(row['name'])
    if from_metafile:
        print(f'note: {len(from_metafile)} rows have no metrics file here; '
              'read back from the metafile (rounded to 0.1 mm): '
              f'{", ".join(from_metafile)}', file=sys.stderr)
    return metrics, missing


def mean_std(values):
    """Mean and sample standard deviation (0 for a single value)."""
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, 0.0
    var = sum((v - mean)**2 for v in values) / (len(values) - 1)
    return mean, math.sqrt(var)


def groups_of(rows):
    """{group: [rows]} in first-appearance order, grouped rows only."""
    groups = {}
    for row in rows:
        if row.get('group'):
            groups.setdefault(row['group'], []).append(row)
    return groups


def fmt(value, digits=1):
    return '–' if value is None else f'{value:.{digits}f}'


def stat_cell(members, metrics, key):
    """'mean ± std' over ``members`` (just the value for one), '–' if any
    member lacks ``key``."""
    values = [metrics[r['name']].get(key) for r in members]
    if any(v is None for v in values):
        return '–'
    mean, std = mean_std(values)
    return f'{mean:.1f} ± {std:.1f}' if len(values) > 1 else f'{mean:.1f}'


def summary_table(rows, metrics):
    """A table's methods (its groups): seeds, mean ± std of each metric."""
    lines = ['| method | seeds | PA-MPJPE | N-MPJPE | mirrored % |',
             '|---|---|---|---|---|']
    for group, members in groups_of(rows).items():
        cells = [stat_cell(members, metrics, key) for key in SUMMARY_METRICS]
        label = members[0].get('group_label', group)
        lines.append(f'| {label} | {len(members)} | ' + ' | '.join(cells) +
                     ' |')
    return '\n'.join(lines)


def link(path, link_dir=None, label=None):
    """A Markdown link to a repository path, relative to ``link_dir`` (the
    folder, under the same root, of the file the link is written into);
    without one, the path in backticks."""
    label = label or path
    if link_dir is None:
        return f'`{label}`'
    return f'[{label}]({os.path.relpath(path, link_dir)})'


def weights_cell(members, link_dir=None):
    """What the rows' ``weights`` say: a checkpoint path becomes a link; for
    seeds that differ, the seeds with a checkpoint, then the rest."""

    def one(weights):
        path = weights.split(' ')[0]
        if path.endswith('.pth'):
            return link(path, link_dir, Path(path).name)
        return weights

    weights = [r.get('weights', 'not published') for r in members]
    if len(set(weights)) == 1:
        return one(weights[0])
    published = [r for r, w in zip(members, weights)
                 if w.split(' ')[0].endswith('.pth')]
    others = {w for w in weights if not w.split(' ')[0].endswith('.pth')}
    cells = [f'seed {r.get("seed", "–")}: {one(r["weights"])}'
             for r in published]
    if others:
        cells.append(('others ' if published else '') + ', '.join(
            sorted(others)))
    return '; '.join(cells)


def readme_summary(spec, rows, metrics, link_dir=None):
    """The README's one table: a line per group or ungrouped row named in
    the rows file's ``readme_summary`` (default ``README_SUMMARY``)."""
    groups = groups_of(rows)
    by_name = {r['name']: r for r in rows}
    lines = ['| method | config | PA-MPJPE, mm | PA-MPJPE, reflection '
             'allowed | N-MPJPE, mm | mirrored % | checkpoint |',
             '|---|---|---|---|---|---|---|']
    for key in spec.get('readme_summary', README_SUMMARY):
        if key in groups:
            members = groups[key]
            label = members[0].get('group_label', key)
        elif key in by_name:
            members = [by_name[key]]
            label = members[0]['model']
        else:
            raise RowsError(f'readme_summary names {key!r}: neither a group '
                            'nor a row of the rows file')
        pa = stat_cell(members, metrics, 'PA-MPJPE')
        if len(members) > 1:
            pa += f' ({len(members)} seeds)'
        elif 'seed' in members[0]:
            pa += f' (seed {members[0]["seed"]})'
        configs = dict.fromkeys(r['config'] for r in members)
        config = ', '.join(
            link(c, link_dir, c[len('configs/'):] if c.startswith(
                'configs/') else c) for c in configs)
        cells = [label, config, pa,
                 stat_cell(members, metrics, 'PA-MPJPE-reflection'),
                 stat_cell(members, metrics, 'N-MPJPE'),
                 stat_cell(members, metrics, 'Mirrored'),
                 weights_cell(members, link_dir)]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def tables_of(rows):
    """{table name: [rows]} in first-appearance order."""
    tables = {}
    for row in rows:
        tables.setdefault(row.get('table', 'results'), []).append(row)
    return tables


def table_section(members, metrics):
    """One table in full: its methods' summary (if it has groups), every
    row with its commands, PA-MPJPE per action (rows that have it)."""
    parts = []
    if groups_of(members):
        parts.append(summary_table(members, metrics))
    parts.append(rows_table(members, metrics))
    per_action = per_action_table(members, metrics)
    if per_action:
        parts.append('PA-MPJPE per action, mm:\n\n' + per_action)
    return '\n\n'.join(parts)


def block_text(name, spec, rows, metrics, link_dir=None):
    """The generated text of block ``name`` ('summary' or 'table NAME')."""
    if name == 'summary':
        return readme_summary(spec, rows, metrics, link_dir)
    if name.startswith('table '):
        tables = tables_of(rows)
        table = name[len('table '):]
        if table not in tables:
            raise RowsError(f'no table {table!r} in the rows file (tables: '
                            f'{", ".join(map(repr, tables))})')
        return table_section(tables[table], metrics)
    raise RowsError(f'unknown block {name!r}: "summary" or "table NAME"')


def update_text(text, spec, rows, metrics, link_dir=None, where='text'):
    """``text`` with each results_tables.py block regenerated; (new text,
    names of its blocks)."""
    names = []

    def fill(match):
        names.append(match['name'])
        try:
            body = block_text(match['name'], spec, rows, metrics, link_dir)
        except KeyError as missing:  # a row with no metrics here: keep it
            print(f'note: {where}: block {match["name"]!r} kept as it is '
                  f'(no metrics for row {missing})', file=sys.stderr)
            return match.group(0)
        return f'{match.group(1)}{body}\n{match.group(4)}'

    updated = BLOCK.sub(fill, text)
    if not names:
        raise RowsError(f'{where} has no block (<!-- BEGIN results_tables.py:'
                        ' summary --> ... <!-- END results_tables.py: '
                        'summary -->)')
    return updated, names


def rows_table(rows, metrics):
    lines = ['| row | seed | commands | weights chosen by | PA-MPJPE | '
             'N-MPJPE | mirrored % | train wall time |',
             '|---|---|---|---|---|---|---|---|']
    for row in rows:
        m = metrics[row['name']]
        commands = '; '.join(f'`{c}`' for c in row['commands'])
        lines.append(
            f'| {row["model"]} | {row.get("seed", "–")} | {commands} | '
            f'{row.get("checkpoint_choice", "–")} | {fmt(m["PA-MPJPE"])} | '
            f'{fmt(m.get("N-MPJPE"))} | {fmt(m.get("Mirrored"))} | '
            f'{row.get("train_time", "–")} |')
    return '\n'.join(lines)


def per_action_table(rows, metrics, key='PA-MPJPE'):
    rows = [r for r in rows if r.get('per_action', True)]
    if not rows:
        return ''
    lines = ['| row | seed | ' + ' | '.join(SHORT) + ' | Avg. |',
             '|---|---|' + '---|' * (len(SHORT) + 1)]
    for row in rows:
        m = metrics[row['name']]
        cells = [fmt(m.get(f'{key}_{a}')) for a in ACTIONS]
        lines.append(f'| {row["model"]} | {row.get("seed", "–")} | ' +
                     ' | '.join(cells) + f' | {fmt(m[key])} |')
    return '\n'.join(lines)


def metafile(spec, rows, metrics):
    models = []
    # rows with `metafile: false` (inspections, e.g. test error per epoch)
    # are tables only: the metafile lists models one would use
    for row in (r for r in rows if r.get('metafile', True)):
        m = metrics[row['name']]
        # unaligned MPJPE only where predictions are metric (a row's
        # `metric: true`); for scale-free lifters it measures nothing
        keys = ('PA-MPJPE', 'PA-MPJPE-reflection', 'N-MPJPE') + ((
            'MPJPE', ) if row.get('metric')
                                          else ()) + ('Mirrored', 'PCK3D',
                                                      'AUC')
        results = {k: round(float(m[k]), 1) for k in keys
                   if m.get(k) is not None}
        results['PA-MPJPE per action'] = {
            a: round(float(m[f'PA-MPJPE_{a}']), 1) for a in ACTIONS
            if f'PA-MPJPE_{a}' in m}
        meta = {
            'Training Data': row.get('training_data', 'none'),
            'Machine': row.get('machine', spec.get('machine', '')),
            'Command': ' && '.join(f'python {c}' if not c.startswith(
                ('python', 'bash', 'OMP')) else c for c in row['commands']),
            'Checkpoint choice': row.get('checkpoint_choice', 'none'),
        }
        if 'seed' in row:
            meta['Seed'] = row['seed']
        if row.get('train_time'):
            meta['Train wall time'] = row['train_time']
        models.append({
            'Config': row['config'],
            'In Collection': 'TIPSy-GAN',
            'Name': row['name'],
            'Metadata': meta,
            'Results': [{
                'Dataset': spec.get('dataset', 'Human3.6M'),
                'Task': 'Body 3D Keypoint',
                'Metrics': results,
            }],
            'Weights': row.get('weights', 'not published'),
        })
    return {
        'Collections': [{
            'Name': 'TIPSy-GAN',
            'Paper': {'Title': spec.get('paper', '')},
            'README': 'projects/tipsy_gan/README.md',
        }],
        'Models': models,
    }


def write_atomically(path, text):
    from tipsy_gan.utils.atomic_write import atomic_output_path
    with atomic_output_path(path) as tmp:
        Path(tmp).write_text(text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('rows', help='results rows YAML')
    parser.add_argument('--update', nargs='+', default=[], metavar='FILE',
                        help='Markdown files whose results_tables.py blocks '
                        'to regenerate')
    parser.add_argument('--metafile', help='write the metafile here')
    parser.add_argument('--root', default=str(REPO_ROOT),
                        help='the repository root the rows\' paths (results, '
                        'configs, weights) are relative to')
    args = parser.parse_args(argv)
    root = Path(args.root).resolve()
    # everything is computed before anything is written: an error writes
    # nothing
    updates, placed = {}, set()
    try:
        spec, rows = load_rows(args.rows)
        metrics, missing = gather_metrics(rows, root,
                                          metafile_metrics(args.metafile))
        # printing every block, or a metafile (every model row), needs them
        # all; an --update keeps the blocks it cannot fill
        needed = [r['name'] for r in rows if not args.update or (
            args.metafile and r.get('metafile', True))]
        for name in needed:
            if name in missing:
                raise missing[name]
        for target in args.update:
            link_dir = os.path.relpath(Path(target).resolve().parent, root)
            updates[target], names = update_text(
                Path(target).read_text(), spec, rows, metrics, link_dir,
                where=target)
            placed.update(names)
        if not args.update:
            print('#### summary\n')
            print(block_text('summary', spec, rows, metrics) + '\n')
            for table in tables_of(rows):
                print(f'#### {table}\n')
                print(block_text(f'table {table}', spec, rows, metrics) +
                      '\n')
    except (RowsError, OSError) as error:
        sys.exit(f'results_tables: {error}')
    for target, text in updates.items():
        write_atomically(target, text)
        print(f'updated {target}', file=sys.stderr)
    if args.update:
        for table in tables_of(rows):
            if f'table {table}' not in placed:
                print(f'note: table {table!r} is in none of the --update '
                      'files', file=sys.stderr)
    if args.metafile:
        document = metafile(spec, rows, metrics)
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True,
                              width=1000)
        write_atomically(args.metafile, text)
        print(f'wrote {args.metafile} ({len(document["Models"])} models)',
              file=sys.stderr)


if __name__ == '__main__':
    main()
