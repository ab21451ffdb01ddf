"""Where a lifter's depth goes wrong: sign by part, hands, joints, actions.

    python tools/analysis/sign_diagnosis.py CONFIG CHECKPOINT [--split val|test] [--out diag.json]

It reads the split's 3D labels, so it describes a run and never chooses
one (docs/protocol.md). For each pose it finds which of the four
leg/torso depth-sign combinations fits the labels best, and reports:

* the share of poses each combination fits best (none, legs, torso, both);
* the share of hands (shoulder to wrist) in front of the body
  (``core.depth_flip.hand_forward_sines`` > 0), predicted and labelled, and
  the share beyond ``HandsForwardPrior``'s margin;
* the PA error of each joint, in mm;
* the share of each action's poses that fit best with a part flipped.
"""
import argparse
import json
from collections import Counter

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope

from tipsy_gan.apis.fast_eval import SPLITS, predict, prepare_split
from tipsy_gan.apis.loading import load_lifter
from tipsy_gan.core import depth_flip
from tipsy_gan.core.pose_metrics import flip_part_depths, joint_errors
from tipsy_gan.core.skeleton import (H36M_JOINT_NAMES, LEG_JOINTS,
                                     TORSO_JOINTS)
from tipsy_gan.evaluation.metrics import h36m_action_from_path
from tipsy_gan.utils.atomic_write import atomic_output_path
from tipsy_gan.utils.data_paths import resolve_data_roots

FLIPS = {'none': (False, False), 'legs': (True, False),
         'torso': (False, True), 'both': (True, True)}


def diagnose(pred, gt, img_paths):
    """The report (module docstring) of (N, 17, 3) predictions against
    labels, both root-relative (any unit; errors are reported in the
    labels' unit times 1000, mm for metres)."""
    pred = pred - pred[:, :1]
    gt = gt - gt[:, :1]
    errors = {name: joint_errors(flip_part_depths(pred, (LEG_JOINTS,
                                                          TORSO_JOINTS),
                                                  flips), gt,
                                 alignment='procrustes').mean(1)
              for name, flips in FLIPS.items()}
    best = np.argmin(np.stack(list(errors.values())), axis=0)
    names = list(FLIPS)
    hands_pred = depth_flip.hand_forward_sines(
        torch.from_numpy(pred[:, 1:]).double()).numpy()
    hands_gt = depth_flip.hand_forward_sines(
        torch.from_numpy(gt[:, 1:]).double()).numpy()
    margin = depth_flip.HANDS_BEHIND_MARGIN
    per_joint = joint_errors(pred, gt, alignment='procrustes').mean(0)
    actions = np.array([h36m_action_from_path(p) for p in img_paths])
    flipped = best != 0
    totals = Counter(actions)
    return dict(
        poses=int(len(pred)),
        best_flip_share={n: float(np.mean(best == i))
                         for i, n in enumerate(names)},
        hands_in_front=dict(predicted=float(np.mean(hands_pred > 0)),
                            labels=float(np.mean(hands_gt > 0))),
        hands_beyond_margin=dict(predicted=float(np.mean(hands_pred < -margin)),
                                 labels=float(np.mean(hands_gt < -margin))),
        joint_pa_error_mm={H36M_JOINT_NAMES[j]: float(1000 * per_joint[j])
                           for j in range(1, len(per_joint))},
        part_flipped_share_by_action={
            a: float(np.mean(flipped[actions == a]))
            for a in sorted(totals, key=lambda a: -np.mean(
                flipped[actions == a]))})


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--split', choices=SPLITS, default='val')
    parser.add_argument('--out', help='write the report to this json file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    resolve_data_roots(cfg)
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    prepared = prepare_split(cfg, args.split)
    loaded = load_lifter(cfg, args.checkpoint)
    pred = predict(loaded.model.eval(), prepared['inputs'], prepared['scales'])
    report = diagnose(pred, prepared['lifting_target'], prepared['img_paths'])
    print(json.dumps(report, indent=1))
    if args.out:
        with atomic_output_path(args.out) as tmp:
            with open(tmp, 'w') as f:
                json.dump(report, f, indent=1)


if __name__ == '__main__':
    main()
