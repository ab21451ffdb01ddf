"""Validation error against training seconds, for runs of the curve hook.

Each RUN is ``LABEL=WORK_DIR``: a ``tools/train.py`` (or ``stability_study``)
work dir holding the curve hook's ``curve.csv`` and mmengine's log. The
training seconds at each curve point are the sum of the logged iteration
times up to that iteration (mmengine's ``time``: the step with its data
loading, averaged over the log window), so the curve hook's own evaluations
do not count. Prints a markdown table and writes a PNG::

    python tools/analysis/time_to_accuracy.py \\
        'fp32 step=work_dirs/study/signs3_layernorm/parts_seed0' \\
        'bf16 + fused Adam=work_dirs/study/bf16_fused/parts_seed0' \\
        --out projects/tipsy_gan/docs/benchmark_time_to_accuracy.png

Figures from runs on different machines or under different loads are not
comparable: run the two side by side on one machine.
"""
import argparse
import csv
import glob
import os.path as osp
import re

LOG_LINE = re.compile(
    r'Epoch\(train\)\s+\[(\d+)\]\[\s*(\d+)/(\d+)\].*?\btime: ([\d.]+)')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('runs', nargs='+', metavar='LABEL=WORK_DIR')
    parser.add_argument('--metric', default='PA-MPJPE',
                        help="a column of curve.csv (default 'PA-MPJPE')")
    parser.add_argument('--out', default=None, help='PNG to write')
    return parser.parse_args(argv)


def run_log(work_dir):
    """The mmengine log of ``work_dir``: its ``train.log`` or the newest
    ``<timestamp>/<timestamp>.log``."""
    direct = osp.join(work_dir, 'train.log')
    if osp.isfile(direct):
        return direct
    logs = sorted(glob.glob(osp.join(work_dir, '*', '*.log')))
    if not logs:
        raise SystemExit(f'{work_dir}: no mmengine log (train.log or '
                         '<timestamp>/<timestamp>.log)')
    return logs[-1]


def training_seconds(log_path):
    """[(global iteration, training seconds up to it)] from the log's
    train lines; a resumed run's repeated lines count once."""
    points, seconds, last = [], 0.0, 0
    with open(log_path, errors='replace') as f:
        for line in f:
            m = LOG_LINE.search(line)
            if not m:
                continue
            epoch, it, per_epoch, step_time = (int(m[1]), int(m[2]),
                                               int(m[3]), float(m[4]))
            done = (epoch - 1) * per_epoch + it
            if done <= last:
                continue
            seconds += (done - last) * step_time
            last = done
            points.append((done, seconds))
    if not points:
        raise SystemExit(f'{log_path}: no "Epoch(train) [e][i/n] ... time:" '
                         'lines')
    return points


def seconds_at(points, iteration):
    """Training seconds at ``iteration``, interpolated between log lines;
    past the last line (an epoch's tail), extended at its step time."""
    prev_it, prev_s = 0, 0.0
    for it, s in points:
        if it >= iteration:
            return prev_s + (s - prev_s) * (iteration - prev_it) / (it -
                                                                    prev_it)
        prev_it, prev_s = it, s
    if len(points) < 2:
        return None
    (it0, s0), (it1, s1) = points[-2:]
    return s1 + (s1 - s0) / (it1 - it0) * (iteration - it1)


def curve(work_dir, metric):
    """[(iteration, training seconds, metric)] of one run."""
    path = osp.join(work_dir, 'curve.csv')
    if not osp.isfile(path):
        raise SystemExit(f'{work_dir}: no curve.csv (train with the '
                         'TIPSyCurveHook)')
    points = training_seconds(run_log(work_dir))
    rows = []
    with open(path) as f:
        for row in csv.DictReader(f):
            if metric not in row:
                raise SystemExit(f'{path}: no column {metric!r}')
            seconds = seconds_at(points, int(row['iter']))
            if seconds is not None and row[metric]:
                rows.append((int(row['iter']), seconds, float(row[metric])))
    return rows


def main(argv=None):
    args = parse_args(argv)
    runs = {}
    for run in args.runs:
        label, sep, work_dir = run.partition('=')
        if not sep:
            raise SystemExit(f'{run!r}: give LABEL=WORK_DIR')
        runs[label] = curve(work_dir, args.metric)
    print(f'| run | iteration | training s | {args.metric} (mm) |')
    print('|---|---|---|---|')
    for label, rows in runs.items():
        for it, seconds, value in rows:
            print(f'| {label} | {it} | {seconds:.0f} | {value:.1f} |')
    if args.out:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(6, 4))
        for label, rows in runs.items():
            ax.plot([r[1] for r in rows], [r[2] for r in rows], 'o-',
                    label=label)
        ax.set_xlabel('training seconds (logged step times)')
        ax.set_ylabel(f'validation {args.metric} (mm)')
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.out, dpi=120)
        print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
