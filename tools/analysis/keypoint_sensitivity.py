"""Keypoint sensitivity of trained lifters: solo against TIPSy (paper §4.4).

    python tools/analysis/keypoint_sensitivity.py \\
        --model 'TIPSy student' configs/tipsy_h36m_cpu_lifter.py \\
            projects/tipsy_gan/checkpoints/tipsy_h36m_cpu_student.pth \\
        --model solo configs/solo_h36m_cpu.py \\
            work_dirs/solo_h36m_cpu/epoch_2.pth \\
        --model 'leg + torso' configs/parts_h36m_cpu.py \\
            work_dirs/parts_h36m_cpu/epoch_2.pth \\
        --out-dir work_dirs/keypoint_sensitivity

``--model LABEL CONFIG CHECKPOINT [NETWORK]``, once per model; models with
the same LABEL are seeds of one kind and are summarised together. CHECKPOINT
is a TIPSyGAN training checkpoint (NETWORK 'lifter', 'teacher', 'student' or
'auto', default: the student once distilled, else the lifter; a TIPSy
checkpoint's teacher is its leg + torso lifter), a stopping rule's
``picked_lifter.pth`` (``TIPSyCurveHook``; the lifter) or an exported PoseLifter
(``tools/export_student.py``; with its ``*_lifter.py`` config).

Poses: the converted Human3.6M test split (S9, S11; ground-truth 2D,
normalised as the codec does, ``core.normalization``), or ``--max-poses``
of them evenly spaced. These poses choose nothing: the analysis only
describes trained models. Every network runs in eval mode.

Two measures per model (``tipsy_gan.research.sensitivity``), each a 16 × 16
matrix S[j, i] (depth of joint j, 2D of keypoint i):

* the paper's: keypoint i's normalised 2D scaled by +5 %, squared change of
  every depth; for one pose (``--pose-index``, as tables 3–5) and averaged
  over the poses with the standard deviation;
* the exact one: |∂ẑ_j/∂(x_i, y_i)| by ``torch.func.jacrev``, averaged over
  the poses.

Writes into ``--out-dir``: ``<model>.csv`` (both measures, every (j, i)),
``<model>.png`` (the Jacobian heatmap, log colour, the leg and torso blocks
outlined), ``heatmaps.png`` (one panel per kind, first seed),
``keypoint_sensitivity.md`` (the summary per kind: cross-part leakage and
within-limb share; tables 3–5 in the paper's shape) and ``summary.json``.
"""
import argparse
import csv
import json
import math
import os
import os.path as osp
import re
import sys
from collections import OrderedDict

import numpy as np
import torch

from tipsy_gan.research import sensitivity as sens
from tipsy_gan.core.networks import LEG_POSITIONS, TORSO_POSITIONS
from tipsy_gan.core.normalization import normalize_pose_2d

DEFAULT_DATA = 'data/h36m/annotation_body3d/fps10/h36m_test.npz'
NETWORKS = ('auto', 'lifter', 'teacher', 'student')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--model', nargs='+', action='append', required=True,
                   metavar='LABEL CONFIG CHECKPOINT [NETWORK]',
                   help='a model to analyse (repeat; same LABEL = seeds)')
    p.add_argument('--data', default=DEFAULT_DATA,
                   help='converted Human3.6M NPZ (its "part" key: pixel 2D)')
    p.add_argument('--max-poses', type=int, default=None,
                   help='use this many poses, evenly spaced (default all)')
    p.add_argument('--pose-index', type=int, default=0,
                   help='the single pose of the tables (index in the NPZ)')
    p.add_argument('--out-dir', required=True)
    p.add_argument('--chunk', type=int, default=1024)
    p.add_argument('--threads', type=int, default=None)
    args = p.parse_args(argv)
    for spec in args.model:
        if len(spec) not in (3, 4):
            p.error('--model takes LABEL CONFIG CHECKPOINT [NETWORK], got '
                    f'{spec}')
        if len(spec) == 4 and spec[3] not in NETWORKS:
            p.error(f'NETWORK must be one of {NETWORKS}, got {spec[3]!r}')
    return args


# ---------------------------------------------------------------- inputs
def load_poses(path, max_poses=None, pose_index=0):
    """(poses (N, 16, 2) float32, the single pose (1, 16, 2), its name, the
    number of poses in the file)."""
    data = np.load(path)
    part = data['part'][..., :2].astype(np.float64)
    names = data['imgname'] if 'imgname' in data.files else None
    normalised, _, _ = normalize_pose_2d(part)
    poses = torch.from_numpy(normalised[:, 1:].astype(np.float32))
    single = poses[pose_index:pose_index + 1]
    name = str(names[pose_index]) if names is not None else str(pose_index)
    total = len(poses)
    if max_poses is not None and max_poses < total:
        index = np.linspace(0, total - 1, max_poses).round().astype(int)
        poses = poses[torch.from_numpy(index)]
    return poses.contiguous(), single, name, total


def load_lifter(config, checkpoint, network='auto'):
    """The (B, 16, 2) -> (B, 16) depth network of a checkpoint of any kind
    (``tipsy_gan.apis.loading``), in eval mode, and what was loaded."""
    from tipsy_gan.apis.loading import load_lifter as load
    loaded = load(config, checkpoint, network)
    return loaded.depth_network, loaded.describe()


def analyse(lifter, poses, single, chunk=1024):
    """Both measures and their summaries for one lifter."""
    with torch.no_grad():
        lifter.eval()
    jac = sens.jacobian_sensitivity(lifter, poses, chunk).double()
    scaled = sens.scaled_keypoint_sensitivity(lifter, poses,
                                              chunk=chunk).double()
    scaled_single = sens.scaled_keypoint_sensitivity(lifter,
                                                     single).double()[0]
    out = dict(
        jacobian_mean=jac.mean(0), jacobian_std=jac.std(0),
        scaled_mean=scaled.mean(0), scaled_std=scaled.std(0),
        scaled_single=scaled_single, num_poses=len(poses))
    for name, per_pose in (('jacobian', jac), ('scaled', scaled)):
        pooled = per_pose.sum(0)
        out[f'{name}_leakage'] = float(sens.cross_part_leakage(pooled))
        out[f'{name}_within_limb'] = float(sens.within_limb_share(pooled))
        per = sens.cross_part_leakage(per_pose)
        per = per[torch.isfinite(per)]
        out[f'{name}_leakage_per_pose'] = (float(per.mean()),
                                           float(per.std()))
    out['scaled_single_leakage'] = float(
        sens.cross_part_leakage(scaled_single))
    return out


def slug(label):
    return re.sub(r'[^a-z0-9]+', '_', label.lower()).strip('_')


def write_csv(path, result):
    names = sens.joint_names()
    with open(path, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['depth_joint', 'input_keypoint', 'jacobian_mean',
                         'jacobian_std', 'scaled5_mean', 'scaled5_std',
                         'scaled5_single_pose'])
        for j, depth_joint in enumerate(names):
            for i, keypoint in enumerate(names):
                writer.writerow([depth_joint, keypoint] + [
                    f'{float(result[k][j, i]):.6e}' for k in (
                        'jacobian_mean', 'jacobian_std', 'scaled_mean',
                        'scaled_std', 'scaled_single')])


SHORT = {'right_hip': 'R hip', 'right_knee': 'R knee',
         'right_foot': 'R ankle', 'left_hip': 'L hip', 'left_knee': 'L knee',
         'left_foot': 'L ankle', 'spine': 'spine', 'thorax': 'thorax',
         'neck_base': 'neck', 'head': 'head', 'left_shoulder': 'L shoulder',
         'left_elbow': 'L elbow', 'left_wrist': 'L wrist',
         'right_shoulder': 'R shoulder', 'right_elbow': 'R elbow',
         'right_wrist': 'R wrist'}


def draw_heatmap(ax, matrix, title, norm, ylabel=True):
    from matplotlib.patches import Rectangle
    image = ax.imshow(matrix, cmap='magma', norm=norm)
    labels = [SHORT[n] for n in sens.joint_names()]
    ax.set_xticks(range(16), labels, rotation=90, fontsize=6)
    ax.set_yticks(range(16), labels if ylabel else [], fontsize=6)
    ax.set_xlabel('2D input keypoint i', fontsize=7)
    if ylabel:
        ax.set_ylabel('depth ẑ_j', fontsize=7)
    ax.set_title(title, fontsize=8)
    for positions, colour in ((LEG_POSITIONS, 'tab:cyan'),
                              (TORSO_POSITIONS, 'tab:green')):
        lo, n = min(positions), len(positions)
        ax.add_patch(Rectangle((lo - 0.5, lo - 0.5), n, n, fill=False,
                               edgecolor=colour, linewidth=1.5))
    return image


def colour_norm(matrices):
    from matplotlib.colors import LogNorm
    values = np.concatenate([np.asarray(m).ravel() for m in matrices])
    positive = values[values > 0]
    high = float(values.max())
    low = max(float(positive.min()) if len(positive) else high * 1e-4,
              high * 1e-4)
    return LogNorm(vmin=low, vmax=high, clip=True)


def save_heatmap(path, matrix, title):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(4.2, 3.8), dpi=110)
    image = draw_heatmap(ax, matrix, title, colour_norm([matrix]))
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04,
                 label='mean |∂ẑ_j/∂(x_i, y_i)|')
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def save_figure(path, panels):
    """One panel per kind, one shared log colour scale."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels) + 0.8,
                                                      3.7), dpi=100,
                             squeeze=False)
    norm = colour_norm([m for _, m in panels])
    for k, (ax, (title, matrix)) in enumerate(zip(axes[0], panels)):
        image = draw_heatmap(ax, matrix, title, norm, ylabel=k == 0)
    fig.colorbar(image, ax=list(axes[0]), fraction=0.03, pad=0.02,
                 label='mean |∂ẑ_j/∂(x_i, y_i)| (log)')
    fig.savefig(path, bbox_inches='tight')
    plt.close(fig)


# ---------------------------------------------------------------- report
def mean_std(values):
    values = list(values)
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, None
    var = sum((v - mean)**2 for v in values) / (len(values) - 1)
    return mean, math.sqrt(var)


def fmt_share(values, per_pose=None):
    mean, std = mean_std(values)
    text = f'{100 * mean:.2f} %'
    if std is not None:
        text += f' ± {100 * std:.2f} (seeds)'
    elif per_pose is not None:
        text += (f' (per pose {100 * per_pose[0]:.1f} ± '
                 f'{100 * per_pose[1]:.1f})')
    return text


def mark_top_two(cells, values):
    order = sorted(range(len(values)), key=lambda k: -values[k])
    cells = list(cells)
    if len(order) > 0 and values[order[0]] > 0:
        cells[order[0]] = f'**{cells[order[0]]}**'
    if len(order) > 1 and values[order[1]] > 0:
        cells[order[1]] = f'<u>{cells[order[1]]}</u>'
    return cells


def reference_share(share):
    """``share`` of a matrix of ones: the fraction of the (j, i) pairs."""
    return f'{100 * float(share(torch.ones(16, 16))):.1f} %'


def markdown_report(kinds, single_name, num_poses, total_poses, command):
    """The summary and tables 3–5 (squared differences × 10⁻⁶)."""
    lines = [
        '<!-- written by tools/analysis/keypoint_sensitivity.py -->',
        f'Poses: {num_poses} of the {total_poses} Human3.6M test poses '
        '(S9, S11, fps10, ground-truth 2D); single pose: '
        f'`{single_name}`. Every network in eval mode.', '',
        '| model | seeds | cross-part leakage, Jacobian | '
        'cross-part leakage, +5 % | within-limb share, Jacobian | '
        'within-limb share, +5 % |', '|---|---|---|---|---|---|']
    for label, runs in kinds.items():
        lines.append(
            f'| {label} | {len(runs)} | '
            + fmt_share([r['jacobian_leakage'] for r in runs],
                        runs[0]['jacobian_leakage_per_pose']) + ' | '
            + fmt_share([r['scaled_leakage'] for r in runs],
                        runs[0]['scaled_leakage_per_pose']) + ' | '
            + fmt_share([r['jacobian_within_limb'] for r in runs]) + ' | '
            + fmt_share([r['scaled_within_limb'] for r in runs]) + ' |')
    lines += ['', 'Leakage: the share of the summed sensitivity (over all '
              'poses, all 16 × 16 pairs) that flows from leg 2D to torso '
              'depths and from torso 2D to leg depths; in brackets the mean ± '
              'std of the same share pose by pose. Within-limb: the share in '
              'which a depth is driven by its own limb\'s 2D (each leg, each '
              'arm, spine + head). For scale: '
              f'{reference_share(sens.cross_part_leakage)} of the 256 (j, i) '
              'pairs are cross-part and '
              f'{reference_share(sens.within_limb_share)} within a limb, so '
              'a lifter whose sensitivity were spread evenly over all pairs '
              'would score about these.']
    names = sens.joint_names()
    for number, keypoint in zip((3, 4, 5), sens.PAPER_TABLE_KEYPOINTS):
        i = sens.position_of(keypoint)
        header = ['Keypoint']
        columns = []
        for label, runs in kinds.items():
            single = [np.mean([float(r['scaled_single'][j, i]) for r in runs])
                      for j in range(16)]
            mean = [np.mean([float(r['scaled_mean'][j, i]) for r in runs])
                    for j in range(16)]
            std = [np.mean([float(r['scaled_std'][j, i]) for r in runs])
                   for j in range(16)]
            header += [f'{label}: one pose', f'{label}: mean ± std']
            columns.append(mark_top_two(
                [f'{1e6 * v:.2f}' for v in single], single))
            columns.append(mark_top_two(
                [f'{1e6 * m:.2f} ± {1e6 * s:.2f}' for m, s in zip(mean, std)],
                mean))
        lines += ['', f'Table {number} (paper\'s shape): squared difference '
                  f'(× 10⁻⁶, normalised depth units) of each depth when the '
                  f'{sens.PAPER_JOINT_NAMES[keypoint]} ({keypoint}) 2D '
                  'coordinate increases by 5 %; largest bold, second '
                  'underlined.', '',
                  '| ' + ' | '.join(header) + ' |',
                  '|' + '---|' * len(header)]
        for j, name in enumerate(names):
            row = [f'{sens.PAPER_JOINT_NAMES[name]} ({name})']
            row += [column[j] for column in columns]
            lines.append('| ' + ' | '.join(row) + ' |')
    lines += ['', 'Command:', '', '```', command, '```', '']
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    os.makedirs(args.out_dir, exist_ok=True)
    poses, single, single_name, total = load_poses(args.data, args.max_poses,
                                                   args.pose_index)
    print(f'{len(poses)} poses of {total} from {args.data}; single pose '
          f'{single_name}')
    kinds = OrderedDict()
    summary = []
    for spec in args.model:
        label, config, checkpoint = spec[:3]
        network = spec[3] if len(spec) == 4 else 'auto'
        lifter, what = load_lifter(config, checkpoint, network)
        result = analyse(lifter, poses, single, args.chunk)
        runs = kinds.setdefault(label, [])
        name = f'{slug(label)}_{len(runs)}'
        runs.append(result)
        write_csv(osp.join(args.out_dir, name + '.csv'), result)
        save_heatmap(osp.join(args.out_dir, name + '.png'),
                     result['jacobian_mean'].numpy(), f'{label} ({what})')
        record = dict(label=label, name=name, config=config,
                      checkpoint=checkpoint, network=what,
                      num_poses=len(poses))
        record.update({k: v for k, v in result.items()
                       if k.endswith(('leakage', 'within_limb',
                                      'per_pose'))})
        summary.append(record)
        print(f'{name}: {what}; cross-part leakage (Jacobian) '
              f'{100 * result["jacobian_leakage"]:.2f} %, (+5 %) '
              f'{100 * result["scaled_leakage"]:.2f} %; within-limb '
              f'{100 * result["jacobian_within_limb"]:.1f} %')
    save_figure(osp.join(args.out_dir, 'heatmaps.png'),
                [(label, runs[0]['jacobian_mean'].numpy())
                 for label, runs in kinds.items()])
    command = 'python ' + ' '.join(
        [osp.relpath(__file__)] + [
            a if re.fullmatch(r'[\w./+=:-]+', a) else f"'{a}'"
            for a in (sys.argv[1:] if argv is None else argv)])
    with open(osp.join(args.out_dir, 'keypoint_sensitivity.md'), 'w') as f:
        f.write(markdown_report(kinds, single_name, len(poses), total,
                                command))
    with open(osp.join(args.out_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=1)
    print(f'wrote {args.out_dir}')


if __name__ == '__main__':
    main()
