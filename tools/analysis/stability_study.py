"""The paper's fig. 3 as a tool: N seeds x {solo, leg + torso}, one config.

Every run trains the adversarial stage only (no student) of CONFIG with a
``TIPSyCurveHook``: the validation subject (S8 under the validation
protocol, ``docs/protocol.md``) scored every ``--interval-epochs`` epochs
(a quarter by default), with the label-free signals beside it and a lifter
snapshot at every point. The study then writes, to ``--work-dir``:

* ``study.csv``: every point of every run (kind, seed, iteration, epoch,
  metrics, signals);
* ``stability.png``: PA-MPJPE against epochs, mean ± std band per kind, with
  the zero-depth line (scored here) and any ``--reference`` lines;
* ``summary.json`` / ``summary.md``: per kind, mean ± std over seeds of the
  last point, the point at ``--fixed-epoch``, the mean over
  ``--range A B`` (epochs), the lifter weight-averaged over that range (the
  snapshots' uniform average, BN statistics included, scored afresh), the
  label-free stopping rule's pick (``--rule``, ``research/stopping.py``), and
  the best point of each run (an oracle: it reads S8's 3D, so it is a bound,
  never a result).

Runs go in ``WORK/<kind>_seed<N>/`` (config, log, checkpoints, curve). A
killed study continues where it stopped: finished runs are kept, unfinished
ones resume from their last checkpoint (``tools/train.py --resume``; their
curves drop the points after it). ``--jobs 2`` runs two one-thread runs side
by side, pinned to cores 0 and 1.

    python tools/analysis/stability_study.py configs/research/tipsy_h36m_cpu_val.py \\
        --work-dir work_dirs/study/cpu_val --seeds 0 1 2 3 4 \\
        --adversarial-epochs 6 --interval-epochs 0.25 --range 2 4 \\
        --fixed-epoch 3 --jobs 2
"""
import argparse
import copy
import json
import math
import os
import os.path as osp
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(REPO, 'projects', 'tipsy_gan'))

from tipsy_gan.utils.atomic_write import atomic_output_path  # noqa: E402

KINDS = ('solo', 'parts')
KIND_LABELS = {'solo': 'solo', 'parts': 'leg + torso'}
DONE = 'study_done'


def parse_args(argv=None):
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config', help='a TIPSyGAN research config (S8)')
    parser.add_argument('--work-dir', required=True)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0])
    parser.add_argument('--kinds', nargs='+', choices=KINDS,
                        default=list(KINDS))
    parser.add_argument('--adversarial-epochs', type=int, default=None,
                        help="default: the config's")
    parser.add_argument('--interval-epochs', type=float, default=0.25,
                        help='epochs between curve points (0.25: a quarter '
                        'epoch, 190 iterations of the protocol\'s 759)')
    parser.add_argument('--split', choices=('val', 'test'), default='val',
                        help="the curves' subject: 'val' (S8, the protocol; "
                        "the default) or the config's test set (tests, "
                        'inspection only)')
    parser.add_argument('--stride', type=int, default=2,
                        help='score every STRIDE-th validation pose')
    parser.add_argument('--range', type=float, nargs=2, default=None,
                        metavar=('A', 'B'),
                        help='epochs for the range mean and the weight '
                        'average (default: the second half)')
    parser.add_argument('--fixed-epoch', type=float, default=None,
                        help='the fixed point (default: the range end)')
    parser.add_argument('--rule', default='default',
                        help='label-free stopping rule (research/stopping.py)')
    parser.add_argument('--reference', action='append', default=[],
                        metavar='LABEL=MM',
                        help='a horizontal line, e.g. "supervised=55.1"')
    parser.add_argument('--jobs', type=int, default=1)
    parser.add_argument('--threads', type=int, default=1,
                        help='threads per run')
    parser.add_argument('--no-run', action='store_true',
                        help='only summarise the runs already there')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='merged into CONFIG for every run')
    return parser.parse_args(argv)


# --------------------------------------------------------------- configs
def run_config(config, kind, seed, interval_epochs, stride,
               adversarial_epochs=None,
               cfg_options=None, split='val'):
    """CONFIG as one study run: ``kind`` ('solo' or 'parts'), ``seed``, no
    student, no EMAHook (the study averages snapshots instead), and a
    ``TIPSyCurveHook``."""
    from mmengine.config import Config
    cfg = Config.fromfile(config) if isinstance(config, str) else \
        copy.deepcopy(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if cfg.model.get('type') != 'TIPSyGAN':
        raise ValueError(f'{config}: the study trains TIPSyGAN configs, not '
                         f'{cfg.model.get("type")}')
    if kind == 'solo':
        cfg.model.lifter['type'] = 'SoloLifter'
        cfg.model.lifter.pop('parts', None)
    elif kind != 'parts':
        raise ValueError(f'kind must be one of {KINDS}, got {kind!r}')
    cfg.model.student = None
    cfg.model.seed = seed
    cfg.randomness = dict(cfg.get('randomness', {}), seed=seed)
    cfg.train_cfg.distillation_epochs = 0
    if adversarial_epochs is not None:
        cfg.train_cfg.adversarial_epochs = adversarial_epochs
    hooks = [h for h in cfg.get('custom_hooks', []) if h.get('type') not in
             ('EMAHook', 'TIPSyEMAHook', 'TIPSyCurveHook')]
    hooks.append(dict(type='TIPSyCurveHook', interval_epochs=interval_epochs,
                      stride=stride, split=split))
    cfg.custom_hooks = hooks
    return cfg


def run_dir(work_dir, kind, seed):
    return osp.join(work_dir, f'{kind}_seed{seed}')


def study_config_path(directory):
    # in a subfolder: the runner dumps its own copy as WORK/<name>.py
    return osp.join(directory, 'study', 'run_config.py')


def prepare_run(args, kind, seed):
    """Write the run's config (refusing a different one already there);
    returns (run dir, state) with state 'done', 'resume' or 'new'."""
    directory = run_dir(args.work_dir, kind, seed)
    cfg = run_config(args.config, kind, seed, args.interval_epochs,
                     args.stride, args.adversarial_epochs, args.cfg_options,
                     args.split)
    text = cfg.pretty_text
    path = study_config_path(directory)
    if osp.isfile(path):
        with open(path) as f:
            if f.read() != text:
                raise SystemExit(
                    f'{path} holds a different config: this work dir belongs '
                    'to another study (other options); use a new --work-dir')
    else:
        with atomic_output_path(path) as tmp:
            Path(tmp).write_text(text)
    if osp.isfile(osp.join(directory, DONE)):
        return directory, 'done'
    if osp.isfile(osp.join(directory, 'last_checkpoint')):
        return directory, 'resume'
    return directory, 'new'


def launch(directory, state, core, threads):
    cmd = [sys.executable, osp.join(REPO, 'tools', 'train.py'),
           study_config_path(directory), '--work-dir', directory]
    if state == 'resume':
        cmd.append('--resume')
    if core is not None and hasattr(os, 'sched_getaffinity'):
        cores = sorted(os.sched_getaffinity(0))
        pinned = [cores[(core * threads + i) % len(cores)]
                  for i in range(threads)]
        cmd = ['taskset', '-c', ','.join(map(str, pinned))] + cmd
    env = dict(os.environ, OMP_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    log = open(osp.join(directory, 'train.log'), 'a')
    return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log,
                            stderr=subprocess.STDOUT), log


def run_all(args, train=True):
    """Train every unfinished run, ``--jobs`` at a time (``train=False``:
    only write and check the runs' configs)."""
    pending = []
    for seed in args.seeds:  # seed by seed: a study cut short stays paired
        for kind in args.kinds:
            directory, state = prepare_run(args, kind, seed)
            print(f'{kind} seed {seed}: {state} ({directory})', flush=True)
            if state != 'done' and train:
                pending.append((kind, seed, directory, state))
    running, free, failed = {}, list(range(args.jobs)), []
    while pending or running:
        while pending and free:
            kind, seed, directory, state = pending.pop(0)
            slot = free.pop(0)
            proc, log = launch(directory, state, slot if args.jobs > 1 else
                               None, args.threads)
            running[proc] = (kind, seed, directory, slot, log, time.time())
        time.sleep(2)
        for proc in [p for p in running if p.poll() is not None]:
            kind, seed, directory, slot, log, start = running.pop(proc)
            log.close()
            free.append(slot)
            took = time.time() - start
            if proc.returncode == 0:
                with open(osp.join(directory, DONE), 'w') as f:
                    f.write(f'{took:.0f} s\n')
                print(f'{kind} seed {seed}: finished in {took:.0f} s',
                      flush=True)
            else:
                failed.append(f'{kind} seed {seed} (exit {proc.returncode}, '
                              f'log {directory}/train.log)')
                print(f'{kind} seed {seed}: FAILED, exit {proc.returncode}; '
                      f'see {directory}/train.log', flush=True)
    if failed:
        raise SystemExit('runs failed: ' + '; '.join(failed) +
                         '. Rerun the same command to resume them.')


# --------------------------------------------------------------- summary
def load_study(work_dir, kinds, seeds):
    """{(kind, seed): rows} for the finished runs."""
    from tipsy_gan.research.curve import CURVE_FILE, read_curve
    curves = {}
    for kind in kinds:
        for seed in seeds:
            directory = run_dir(work_dir, kind, seed)
            if osp.isfile(osp.join(directory, DONE)):
                curves[kind, seed] = read_curve(osp.join(directory,
                                                         CURVE_FILE))
    return curves


def _finite(value):
    """A CSV cell as a float, None where empty (older studies lack the
    oracle-sign column)."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def mean_std(values):
    values = [v for v in values if v is not None and math.isfinite(v)]
    if not values:
        return dict(mean=None, std=None, n=0)
    return dict(mean=float(np.mean(values)),
                std=float(np.std(values, ddof=1)) if len(values) > 1 else 0.0,
                n=len(values))


def averaged_lifter_error(directory, rows, low, high, stride, split='val'):
    """PA-MPJPE etc. of the lifter averaged (uniformly, BN statistics too)
    over the snapshots at epochs in [low, high]; cached in the run dir."""
    cache = osp.join(directory, f'averaged_{low:g}_{high:g}.json')
    if osp.isfile(cache):
        with open(cache) as f:
            return json.load(f)
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpose.registry import MODELS

    import tipsy_gan.mmpose_modules  # noqa: F401
    from tipsy_gan.engine.curve_hook import CURVE_METRICS
    from tipsy_gan.research.curve import snapshot_path
    from tipsy_gan.apis.fast_eval import evaluate_prepared, prepare_split
    iters = [int(r['iter']) for r in rows if low <= r['epoch'] <= high]
    if not iters:
        return None
    cfg = Config.fromfile(study_config_path(directory))
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    model = MODELS.build(cfg.model)
    total = None
    for it in iters:
        state = torch.load(snapshot_path(directory, it), map_location='cpu',
                           weights_only=True)
        if total is None:
            total = {k: v.double().clone() if v.is_floating_point() else v
                     for k, v in state.items()}
        else:
            for k, v in state.items():
                if v.is_floating_point():
                    total[k] += v.double()
    model.lifter.load_state_dict({
        k: (v / len(iters)).float() if v.is_floating_point() else v
        for k, v in total.items()})
    metrics = evaluate_prepared(model, prepare_split(cfg, split, stride),
                                cfg.test_evaluator)
    result = {k: metrics[k] for k in CURVE_METRICS if k in metrics}
    result['snapshots'] = len(iters)
    with atomic_output_path(cache) as tmp:
        Path(tmp).write_text(json.dumps(result))
    return result


def write_rule_pick(directory, iteration, rule):
    """The run's ``picked_lifter.pth`` for the study's rule (as a
    ``TIPSyCurveHook(select=rule)`` writes it), e.g. a teacher for
    distillation alone (``TIPSyTrainLoop(teacher=...)``); the discriminator
    from the run's last checkpoint."""
    import torch
    from tipsy_gan.research.curve import snapshot_path, write_picked_lifter
    from tipsy_gan.utils.checkpoint_compat import load_local_checkpoint
    last = Path(directory, 'last_checkpoint').read_text().strip()
    if not osp.isfile(last):  # a moved study
        last = osp.join(directory, osp.basename(last))
    state = load_local_checkpoint(last, map_location='cpu')['state_dict']
    discriminator = {k[len('discriminator.'):]: v for k, v in state.items()
                     if k.startswith('discriminator.')}
    lifter = torch.load(snapshot_path(directory, iteration),
                        map_location='cpu', weights_only=True)
    return write_picked_lifter(directory, iteration, lifter, discriminator,
                               rule)


def summarise(args, curves, zero_depth):
    from tipsy_gan.research.stopping import select
    summary = dict(config=args.config, rule=args.rule, kinds={},
                   zero_depth=zero_depth, references=dict(
                       r.split('=', 1) for r in args.reference))
    for kind in args.kinds:
        runs = {s: rows for (k, s), rows in curves.items() if k == kind}
        if not runs:
            continue
        last_epoch = max(r['epoch'] for rows in runs.values() for r in rows)
        low, high = args.range or (last_epoch / 2, last_epoch)
        fixed = args.fixed_epoch if args.fixed_epoch is not None else high
        per_seed = {}
        for seed, rows in sorted(runs.items()):
            errors = [r['PA-MPJPE'] for r in rows]
            at_fixed = min(rows, key=lambda r: abs(r['epoch'] - fixed))
            in_range = [r['PA-MPJPE'] for r in rows
                        if low <= r['epoch'] <= high]
            pick = select(rows, args.rule)
            write_rule_pick(run_dir(args.work_dir, kind, seed),
                            rows[pick]['iter'], args.rule)
            best = int(np.argmin(errors))
            averaged = averaged_lifter_error(
                run_dir(args.work_dir, kind, seed), rows, low, high,
                args.stride, args.split)
            per_seed[seed] = dict(
                last=errors[-1], fixed=at_fixed['PA-MPJPE'],
                range_mean=float(np.mean(in_range)) if in_range else None,
                averaged=averaged and averaged['PA-MPJPE'],
                averaged_reflection=averaged and averaged[
                    'PA-MPJPE-reflection'],
                averaged_mirrored=averaged and averaged['Mirrored'],
                rule=rows[pick]['PA-MPJPE'], rule_epoch=rows[pick]['epoch'],
                rule_reflection=rows[pick]['PA-MPJPE-reflection'],
                rule_mirrored=rows[pick]['Mirrored'],
                rule_oracle_sign=_finite(
                    rows[pick].get('PA-MPJPE-oracle-sign')),
                oracle=errors[best], oracle_epoch=rows[best]['epoch'])
        summary['kinds'][kind] = dict(
            range=[low, high], fixed_epoch=fixed, seeds=per_seed,
            **{key: mean_std([p[key] for p in per_seed.values()])
               for key in ('last', 'fixed', 'range_mean', 'averaged',
                           'averaged_reflection', 'averaged_mirrored',
                           'rule', 'rule_reflection', 'rule_mirrored',
                           'rule_oracle_sign', 'oracle')})
    kinds = summary['kinds']
    if 'solo' in kinds and 'parts' in kinds:
        for key in ('averaged', 'rule', 'range_mean'):
            s, p = kinds['solo'][key]['mean'], kinds['parts'][key]['mean']
            if s and p:
                summary.setdefault('parts_below_solo_percent', {})[key] = \
                    100.0 * (s - p) / s
    return summary


def fmt(stat):
    if stat['mean'] is None:
        return '–'
    return f"{stat['mean']:.1f} ± {stat['std']:.1f} ({stat['n']})"


def summary_markdown(summary):
    lines = [
        f"Study of `{summary['config']}`; PA-MPJPE (mm) on the validation "
        'subject, mean ± std (n seeds). "oracle" reads S8\'s 3D to pick '
        'each run\'s best point, and the oracle-sign error sets each '
        'part\'s depth sign from it (sign apart from shape): both describe '
        'runs, never choose.', '',
        '| kind | last | fixed epoch | range mean | weight average over the '
        'range | its PA-MPJPE-reflection | its mirrored % | stopping rule '
        f"`{summary['rule']}` | its oracle-sign error | oracle best |",
        '|---|---|---|---|---|---|---|---|---|---|']
    for kind, k in summary['kinds'].items():
        lines.append(
            f"| {KIND_LABELS[kind]} | {fmt(k['last'])} | {fmt(k['fixed'])} "
            f"(epoch {k['fixed_epoch']:g}) | {fmt(k['range_mean'])} "
            f"(epochs {k['range'][0]:g}–{k['range'][1]:g}) | "
            f"{fmt(k['averaged'])} | {fmt(k['averaged_reflection'])} | "
            f"{fmt(k['averaged_mirrored'])} | {fmt(k['rule'])} | "
            f"{fmt(k['rule_oracle_sign'])} | "
            f"{fmt(k['oracle'])} |")
    lines.append('')
    if summary.get('zero_depth') is not None:
        lines.append(f"Zero depth: {summary['zero_depth']:.1f} mm.")
    for label, value in summary['references'].items():
        lines.append(f'{label}: {value} mm.')
    for key, value in summary.get('parts_below_solo_percent', {}).items():
        lines.append(f'Leg + torso below solo ({key}): {value:.1f} %.')
    return '\n'.join(lines) + '\n'


def zero_depth_error(config, stride, cache_dir, split='val'):
    cache = osp.join(cache_dir, 'zero_depth.json')
    if osp.isfile(cache):
        with open(cache) as f:
            return json.load(f)['PA-MPJPE']
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import tipsy_gan.mmpose_modules  # noqa: F401
    from tipsy_gan.evaluation.fast_eval import (compute_metrics,
                                                prepare_split)
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    prepared = prepare_split(cfg, split, stride)
    # configs/reference/zero_depth_h36m.py: (x, y, 0) of the normalised 2D
    import torch
    from tipsy_gan.core.inputs import lifter_input_2d
    from tipsy_gan.models.tipsy_gan_model import with_root_3d
    pose_2d = lifter_input_2d(torch.from_numpy(prepared['inputs']))
    pred = with_root_3d(pose_2d, torch.zeros(pose_2d.shape[:2])).numpy()
    target = prepared['lifting_target']
    metrics = compute_metrics(cfg.test_evaluator, pred, target,
                              prepared['lifting_target_visible'],
                              prepared['img_paths'])
    with open(cache, 'w') as f:
        json.dump({'PA-MPJPE': metrics['PA-MPJPE']}, f)
    return metrics['PA-MPJPE']


def plot(curves, summary, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    colours = {'solo': 'tab:orange', 'parts': 'tab:blue'}
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for kind in KINDS:
        runs = [rows for (k, _), rows in sorted(curves.items()) if k == kind]
        if not runs:
            continue
        length = min(len(r) for r in runs)
        epochs = np.array([r['epoch'] for r in runs[0][:length]])
        errors = np.array([[r['PA-MPJPE'] for r in rows[:length]]
                           for rows in runs])
        mean, std = errors.mean(0), errors.std(0)
        ax.plot(epochs, mean, color=colours[kind],
                label=f'{KIND_LABELS[kind]} (n={len(runs)})')
        ax.fill_between(epochs, mean - std, mean + std, color=colours[kind],
                        alpha=0.25)
    if summary.get('zero_depth') is not None:
        ax.axhline(summary['zero_depth'], color='grey', ls='--',
                   label='zero depth')
    for label, value in summary['references'].items():
        ax.axhline(float(value), color='green', ls=':', label=label)
    ax.set_xlabel('epoch')
    ax.set_ylabel('PA-MPJPE on the validation subject (mm)')
    ax.set_ylim(bottom=0, top=min(ax.get_ylim()[1], 300))
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    with atomic_output_path(path) as tmp:
        fig.savefig(tmp, dpi=120, format='png')
    plt.close(fig)


def write_study_csv(curves, path):
    from tipsy_gan.research.curve import write_curve
    rows = []
    for (kind, seed), curve in sorted(curves.items()):
        rows += [dict(kind=kind, seed=seed, **r) for r in curve]
    write_curve(path, rows)


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.work_dir, exist_ok=True)
    run_all(args, train=not args.no_run)
    curves = load_study(args.work_dir, args.kinds, args.seeds)
    if not curves:
        raise SystemExit(f'no finished run in {args.work_dir}')
    zero = zero_depth_error(study_config_path(run_dir(
        args.work_dir, *next(iter(curves)))), args.stride, args.work_dir,
        args.split)
    summary = summarise(args, curves, zero)
    write_study_csv(curves, osp.join(args.work_dir, 'study.csv'))
    plot(curves, summary, osp.join(args.work_dir, 'stability.png'))
    with open(osp.join(args.work_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=1)
    text = summary_markdown(summary)
    with open(osp.join(args.work_dir, 'summary.md'), 'w') as f:
        f.write(text)
    print(text)


if __name__ == '__main__':
    main()
