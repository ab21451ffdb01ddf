"""Judge label-free stopping rules on recorded learning curves (issue 11).

Reads the ``study.csv`` of one or more ``stability_study.py`` work dirs
(validation-protocol curves: S8's errors beside the label-free signals) and,
for every candidate rule of ``research/stopping.py`` (or ``--rule`` ones), prints
the mean and largest gap between the rule's pick and each run's best point
(mm of PA-MPJPE), and the runs where it picked a collapsed point (error above
the zero-depth error of the study). The targets: mean gap <= 3 mm, no
collapsed pick.

    python tools/analysis/judge_stopping_rules.py work_dirs/study/final \\
        [--out rules.json] [--markdown rules.md]
"""
import argparse
import json
import os.path as osp
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(REPO, 'projects', 'tipsy_gan'))


def load_curves(study_dirs):
    from tipsy_gan.research.curve import read_curve
    curves, zero = {}, None
    for directory in study_dirs:
        path = osp.join(directory, 'study.csv')
        if not osp.isfile(path):
            raise SystemExit(f'{path}: no study.csv (run stability_study.py '
                             'first)')
        for row in read_curve(path):
            key = (osp.basename(osp.normpath(directory)), row.pop('kind'),
                   row.pop('seed'))
            curves.setdefault(key, []).append(row)
        zero_path = osp.join(directory, 'zero_depth.json')
        if osp.isfile(zero_path):
            with open(zero_path) as f:
                zero = json.load(f)['PA-MPJPE']
    for rows in curves.values():
        rows.sort(key=lambda r: r['iter'])
    return curves, zero


def main(argv=None):
    from tipsy_gan.research.stopping import CANDIDATE_RULES, judge
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('studies', nargs='+', help='stability_study work dirs')
    parser.add_argument('--rule', action='append', default=None,
                        help='a candidate name (default: all of them)')
    parser.add_argument('--out', help='JSON of every rule and run')
    parser.add_argument('--markdown', help='the table as Markdown')
    args = parser.parse_args(argv)
    curves, zero = load_curves(args.studies)
    names = args.rule or list(CANDIDATE_RULES)
    results = {}
    failed = judge(curves, 'last', collapsed_above=zero)['failed_runs']
    lines = [(f'{len(curves)} runs; collapsed: PA-MPJPE above zero depth '
              f'({zero:.1f} mm)' if zero else f'{len(curves)} runs') +
             (f"; failed runs (never below it, not counted as collapsed "
              f"picks): {', '.join('/'.join(map(str, k)) for k in failed)}"
              if failed else ''), '',
             '| rule | mean gap to the best point (mm) | largest gap | '
             'collapsed picks | mean picked PA-MPJPE |', '|---|---|---|---|---|']
    for name in names:
        if name not in CANDIDATE_RULES:
            raise SystemExit(f'unknown rule {name!r}; candidates: '
                             f'{sorted(CANDIDATE_RULES)}')
        result = judge(curves, CANDIDATE_RULES[name], collapsed_above=zero)
        picks = [r['pick'] for r in result['runs'].values()]
        results[name] = dict(
            result, runs={'/'.join(map(str, k)): v
                          for k, v in result['runs'].items()},
            collapsed_picks=['/'.join(map(str, k))
                             for k in result['collapsed_picks']],
            failed_runs=['/'.join(map(str, k)) for k in result['failed_runs']])
        lines.append(f"| `{name}` | {result['mean_gap']:.2f} | "
                     f"{result['max_gap']:.2f} | "
                     f"{len(result['collapsed_picks'])} | "
                     f'{sum(picks) / len(picks):.1f} |')
    best = [r['best'] for r in next(iter(results.values()))['runs'].values()]
    lines.append(f'| oracle (reads S8 3D) | 0 | 0 | 0 | '
                 f'{sum(best) / len(best):.1f} |')
    text = '\n'.join(lines) + '\n'
    print(text)
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=1)
    if args.markdown:
        with open(args.markdown, 'w') as f:
            f.write(text)


if __name__ == '__main__':
    main()
