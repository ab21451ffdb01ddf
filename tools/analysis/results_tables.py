"""Build the README's results tables and the MMPose-style metafile from the
metrics files that ``tools/test.py --out`` wrote.

    python tools/analysis/results_tables.py projects/tipsy_gan/results_rows.yml \
        --metafile projects/tipsy_gan/metafile.yml > results.md

The rows file names, for every row, its config, the exact commands, where the
metrics JSON is, the seed and how its weights were chosen. Rows that share a
``group`` are seeds of one method: the summary gives their mean ± sample
standard deviation. Nothing is typed in by hand: every figure comes from a
metrics file, which the row's commands rewrite.
"""
import argparse
import json
import math
import sys
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]

# Column order of the paper's Table 1 (and MMPose's Human3.6M tables).
ACTIONS = ('Directions', 'Discussion', 'Eating', 'Greeting', 'Phoning',
           'Photo', 'Posing', 'Purchases', 'Sitting', 'SittingDown',
           'Smoking', 'Waiting', 'WalkDog', 'Walking', 'WalkTogether')
SHORT = ('Direct.', 'Discuss', 'Eat', 'Greet', 'Phone', 'Photo', 'Posing',
         'Purch.', 'Sit', 'SitD', 'Smoke', 'Wait', 'WalkD', 'Walk', 'WalkT')
SUMMARY_METRICS = ('PA-MPJPE', 'N-MPJPE', 'Mirrored')
ROW_KEYS = {'name', 'model', 'config', 'commands', 'result'}


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


def summary_table(rows, metrics):
    lines = ['| method | seeds | PA-MPJPE | N-MPJPE | mirrored % |',
             '|---|---|---|---|---|']
    for group, members in groups_of(rows).items():
        cells = []
        for key in SUMMARY_METRICS:
            values = [metrics[r['name']].get(key) for r in members]
            if any(v is None for v in values):
                cells.append('–')
                continue
            mean, std = mean_std(values)
            cells.append(f'{mean:.1f} ± {std:.1f}' if len(values) > 1 else
                         f'{mean:.1f}')
        label = members[0].get('group_label', group)
        lines.append(f'| {label} | {len(members)} | ' + ' | '.join(cells) +
                     ' |')
    return '\n'.join(lines)


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
        keys = ('PA-MPJPE', 'N-MPJPE') + (('MPJPE', ) if row.get('metric')
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('rows', help='results rows YAML')
    parser.add_argument('--metafile', help='write the metafile here')
    parser.add_argument('--root', default=str(REPO_ROOT),
                        help='folder the rows\' result paths are relative to')
    args = parser.parse_args(argv)
    try:
        spec, rows = load_rows(args.rows)
        metrics = {r['name']: load_metrics(r, Path(args.root)) for r in rows}
    except RowsError as error:
        sys.exit(f'results_tables: {error}')
    for table in sorted({r.get('table', 'results') for r in rows},
                        key=[r.get('table', 'results') for r in rows].index):
        members = [r for r in rows if r.get('table', 'results') == table]
        print(f'#### {table}\n')
        if groups_of(members):
            print(summary_table(members, metrics) + '\n')
        print(rows_table(members, metrics) + '\n')
        per_action = per_action_table(members, metrics)
        if per_action:
            print('PA-MPJPE per action, mm:\n')
            print(per_action + '\n')
    if args.metafile:
        from tipsy_gan.utils.atomic_write import atomic_output_path
        document = metafile(spec, rows, metrics)
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True,
                              width=1000)
        with atomic_output_path(args.metafile) as tmp:
            Path(tmp).write_text(text)
        print(f'wrote {args.metafile} ({len(document["Models"])} models)',
              file=sys.stderr)


if __name__ == '__main__':
    main()
