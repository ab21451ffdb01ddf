"""MMPose metrics for TIPSy: root-relative (N/PA-)MPJPE per action, PCK3D/AUC.

Thin wrappers around :mod:`tipsy_gan.core.pose_metrics`, structured like
MMPose's ``MPJPE`` metric (``process`` collects, ``compute_metrics`` scores).
Both prediction and ground truth are made root-relative before scoring, then
multiplied by ``unit_to_mm`` (MMPose's Human36mDataset gives metres, so the
default is 1000).

The "action" of a sample is its data sample's ``activity`` when the dataset
gives one (``MpiInf3dhpDataset``, through ``PackPoseInputs``' ``meta_keys``),
else 'Unknown' for a 3DHP image ('TS1_000001.jpg'), else the Human3.6M action
parsed from ``target_img_path``.
"""
from collections import defaultdict
from os import path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from mmpose.registry import METRICS

from tipsy_gan.core import pose_metrics, skeleton
from tipsy_gan.datasets import mpi_inf_3dhp_files as hp3d

METRES_TO_MM = 1000.0
# Named joint sets for PCK3DMetric's joint_indices.
JOINT_SETS = {'all': None,
              'mpi_inf_3dhp_14': list(skeleton.MPI_INF_3DHP_PCK_JOINTS)}
# Sample fields PCK3DMetric can break its scores down by.
BREAKDOWNS = ('sequence', 'scene', 'activity')


def h36m_action_from_path(img_path: str) -> str:
    """'S9_Directions_1.54138969_000001.jpg' -> 'Directions', as MMPose's MPJPE."""
    # drop the subject, then the camera/frame suffix, then the take number;
    # a name without these parts (other datasets) keeps what is left
    rest = osp.basename(img_path).split('_', 1)[-1]
    return rest.split('.', 1)[0].split('_')[0]


def image_fields(img_paths: Sequence[str]) -> Dict[str, np.ndarray]:
    """``(N,)`` arrays of what ``process`` reads from each target image
    name, vectorised (``np.char``, the same string rules): ``'subj_act'``
    (``skip_list``'s key), ``'sequence'`` (3DHP's ``sequence_of_image``,
    else ''), ``'action'`` (3DHP's 'Unknown', else
    :func:`h36m_action_from_path`)."""
    paths = np.asarray([str(p) for p in img_paths])
    names = np.char.rpartition(paths, '/')[:, 2]  # osp.basename
    head, underscore, tail = np.char.partition(names, '_').T
    has_underscore = underscore != ''
    sequence = np.where(
        np.isin(head, hp3d.TEST_SEQUENCES) & has_underscore, head, '')
    rest = np.where(has_underscore, tail, names)  # split('_', 1)[-1]
    action = np.char.partition(np.char.partition(rest, '.')[:, 0],
                               '_')[:, 0]
    action = np.where(sequence != '', hp3d.UNKNOWN_ACTIVITY, action)
    return {'subj_act': np.char.partition(names, '.')[:, 0],
            'sequence': sequence, 'action': action}


class _RootRelativePoseMetric(BaseMetric):
    """Collects predictions, targets, masks and actions like MMPose's MPJPE.

    Args:
        unit_to_mm (float): multiplies prediction and ground truth, after
            making them root-relative, to get millimetres. Default 1000
            (metres, as Human36mDataset's ``lifting_target``).
        root_index (int): root joint subtracted from both sides. Default 0.
        collect_device (str): 'cpu' or 'gpu', for distributed collection.
        prefix (str, optional): prefix for the metric names.
        skip_list (list[str]): 'S9_Greeting' style subject-action names to skip.
    """

    def __init__(self,
                 unit_to_mm: float = METRES_TO_MM,
                 root_index: int = 0,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 skip_list: Sequence[str] = ()) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if not unit_to_mm > 0:
            raise ValueError(f'unit_to_mm must be > 0, got {unit_to_mm}')
        self.unit_to_mm = float(unit_to_mm)
        self.root_index = root_index
        self.skip_list = list(skip_list)

    def process(self, data_batch: Sequence[dict],
                data_samples: Sequence[dict]) -> None:
        """Store root-relative millimetre poses of one batch in ``results``."""
        for data_sample in data_samples:
            # [T, K, D]; a (1, T, K, D) batch of one is squeezed as MMPose does
            pred_coords = np.asarray(
                data_sample['pred_instances']['keypoints'])
            if pred_coords.ndim == 4:
                pred_coords = np.squeeze(pred_coords, axis=0)
            gt = data_sample['gt_instances']
            gt_coords = np.asarray(gt['lifting_target'])
            mask = np.asarray(gt['lifting_target_visible']).astype(
                bool).reshape(gt_coords.shape[0], -1)

            img_path = data_sample['target_img_path'][0]
            subj_act = osp.basename(img_path).split('.')[0]
            if subj_act in self.skip_list:
                continue
            count = gt_coords.shape[0]
            sequence = data_sample.get('sequence',
                                       hp3d.sequence_of_image(img_path))
            action = data_sample.get('activity')
            if action is None:  # no 'activity' in PackPoseInputs' meta_keys
                action = (hp3d.UNKNOWN_ACTIVITY if sequence else
                          h36m_action_from_path(img_path))
            actions = np.array([action] * count)

            self.results.append({
                'pred_coords':
                self.unit_to_mm *
                pose_metrics.root_relative(pred_coords, self.root_index),
                'gt_coords':
                self.unit_to_mm *
                pose_metrics.root_relative(gt_coords, self.root_index),
                'mask':
                mask,
                'actions':
                actions,
                'sequences':
                np.array([sequence or ''] * count),
            })

    def results_from_arrays(self, pred: np.ndarray, gt: np.ndarray,
                            mask: np.ndarray, img_paths: Sequence[str],
                            activities: Optional[Sequence[str]] = None,
                            fields: Optional[dict] = None) -> list:
        """``results`` for ``compute_metrics`` from whole arrays, as
        :meth:`process` would collect them pose by pose (the fast
        evaluator, ``tipsy_gan.evaluation.fast_eval``).

        Args:
            pred, gt: ``(N, K, 3)`` predictions and ground truth, the
                dataset's unit (``unit_to_mm`` and the root as ``process``).
            mask: ``(N, K)`` joints to score (``lifting_target_visible``).
            img_paths: ``N`` target image names (actions, sequences,
                ``skip_list``).
            activities: ``N`` activities, where the dataset has them.
            fields: :func:`image_fields` of ``img_paths``, if known.
        """
        fields = image_fields(img_paths) if fields is None else fields
        keep = ~np.isin(fields['subj_act'], self.skip_list)
        sequences = fields['sequence']
        if activities is None:
            activities = fields['action']
        pred, gt = np.asarray(pred), np.asarray(gt)
        return [{
            'pred_coords': self.unit_to_mm * pose_metrics.root_relative(
                pred[keep], self.root_index),
            'gt_coords': self.unit_to_mm * pose_metrics.root_relative(
                gt[keep], self.root_index),
            'mask': np.asarray(mask).astype(bool).reshape(len(gt), -1)[keep],
            'actions': np.asarray(activities)[keep],
            'sequences': np.asarray(sequences)[keep],
        }]

    @staticmethod
    def _gather(results: list):
        pred = np.concatenate([r['pred_coords'] for r in results])
        gt = np.concatenate([r['gt_coords'] for r in results])
        mask = np.concatenate([r['mask'] for r in results])
        actions = np.concatenate([r['actions'] for r in results])
        return pred, gt, mask, actions


@METRICS.register_module()
class TIPSyPoseErrorMetric(_RootRelativePoseMetric):
    """MPJPE, N-MPJPE and PA-MPJPE in mm, overall and per Human3.6M action.

    PA-MPJPE is protocol II, the TIPSy paper's Human3.6M number (§4);
    N-MPJPE aligns scale only (Rhodin et al., CVPR 2018). Unaligned MPJPE is
    only meaningful when predictions are metric: a TIPSy lifter's decoded
    poses are in pixel-scale units (see ``TIPSyLiftingCodec.decode``).

    ``'pa-mpjpe-reflection'`` (key ``'PA-MPJPE-reflection'``) is the same
    Procrustes fit with reflections allowed, as ElePose and the TIPSy
    authors' code align: a depth-mirrored pose is not an error there. It is
    reported beside protocol II, never instead of it.

    ``'pa-mpjpe-oracle-sign'`` (key ``'PA-MPJPE-oracle-sign'``): PA-MPJPE
    with the legs' and the torso's depth signs each set to whichever of the
    4 combinations fits the ground truth best, per pose
    (``pose_metrics.oracle_sign_joint_errors``): the error of shape alone,
    to tell sign errors from shape errors. A research oracle: it describes
    runs and never chooses anything.

    Output keys, per mode in ``modes``: ``'MPJPE'``, ``'N-MPJPE'``,
    ``'PA-MPJPE'``, ``'PA-MPJPE-reflection'``, and ``'<KEY>_<Action>'``
    (e.g. ``'PA-MPJPE_Directions'``) for every action seen, the action
    parsed from ``target_img_path`` as in MMPose's ``MPJPE`` metric.

    Args:
        modes (Sequence[str]): any of 'mpjpe', 'n-mpjpe', 'pa-mpjpe',
            'pa-mpjpe-reflection', 'pa-mpjpe-oracle-sign'. Default: the
            first three.
        per_action (bool): also report per-action errors. Default True.
        **kwargs: see :class:`_RootRelativePoseMetric`.
    """

    ALIGNMENT = {'mpjpe': 'none', 'n-mpjpe': 'scale', 'pa-mpjpe': 'procrustes',
                 'pa-mpjpe-reflection': 'procrustes_reflection',
                 'pa-mpjpe-oracle-sign': 'procrustes'}
    KEY = {'mpjpe': 'MPJPE', 'n-mpjpe': 'N-MPJPE', 'pa-mpjpe': 'PA-MPJPE',
           'pa-mpjpe-reflection': 'PA-MPJPE-reflection',
           'pa-mpjpe-oracle-sign': 'PA-MPJPE-oracle-sign'}

    def __init__(self,
                 modes: Sequence[str] = ('mpjpe', 'n-mpjpe', 'pa-mpjpe'),
                 per_action: bool = True,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        modes = [modes] if isinstance(modes, str) else list(modes)
        unknown = [m for m in modes if m not in self.ALIGNMENT]
        if unknown or not modes:
            raise KeyError(f'modes must be a non-empty subset of '
                           f'{tuple(self.ALIGNMENT)}, got {modes}')
        self.modes = modes
        self.per_action = per_action

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Errors in mm: ``{'PA-MPJPE': …, 'PA-MPJPE_Directions': …, …}``."""
        logger: MMLogger = MMLogger.get_current_instance()
        pred, gt, mask, actions = self._gather(results)
        action_indices: Dict[str, List[int]] = defaultdict(list)
        for index, action in enumerate(actions):
            action_indices[action].append(index)

        metrics = dict()
        for mode in self.modes:
            name = self.KEY[mode]
            alignment = self.ALIGNMENT[mode]
            logger.info(f'Evaluating {name}...')
            if mode == 'pa-mpjpe-oracle-sign':
                errors = pose_metrics.oracle_sign_joint_errors(pred, gt, mask)
            else:
                errors = pose_metrics.joint_errors(pred, gt, mask, alignment)
            metrics[name] = float(errors[mask].mean())
            if not self.per_action:
                continue
            for action, indices in action_indices.items():
                action_mask = mask[indices]
                if action_mask.any():
                    metrics[f'{name}_{action}'] = float(
                        errors[indices][action_mask].mean())
        return metrics


@METRICS.register_module()
class PCK3DMetric(_RootRelativePoseMetric):
    """PCK3D and its AUC in percent, as defined by Mehta et al. (3DV 2017).

    PCK3D: share of joints with root-relative 3D error below ``threshold``
    (150 mm). AUC: mean PCK3D over ``thresholds`` (0 to 150 mm, 31 steps;
    the test kit's mpii_compute_3d_pck.m: ``0:5:150`` and a strict ``<``, so
    even a perfect prediction scores 100·30/31 = 96.8 AUC).

    Per pose, in this order: root-relative (both sides), the depth sign
    (``depth_sign``), the scale (``alignment``, fitted on the scored
    joints), then the scored joints.

    Output keys: ``'PCK3D'`` and ``'AUC'``; ``'FacingMirrored'`` (% of poses
    mirrored) when ``depth_sign='facing'``; for each field ``f`` of
    ``breakdown`` and each value ``v`` seen, ``'PCK3D_v'``, ``'AUC_v'`` and
    ``'Frames_v'`` (the poses scored).

    Args:
        threshold (float): PCK threshold in mm. Default 150.
        thresholds (Sequence[float]): AUC thresholds in mm. Default
            ``np.linspace(0, 150, 31)``.
        alignment (str): applied to each prediction before scoring, one of
            ``pose_metrics.ALIGNMENTS``. Mehta et al. score unaligned
            metric predictions ('none'); a scale-free lifter needs a scale:
            'scale' (least squares, default) or 'xy_extent' (the TIPSy
            paper's "scale them up by their original normalising factor").
        depth_sign (str): 'predicted' (default) or 'facing' (the TIPSy
            paper's "facing direction known"), ``pose_metrics.orient_depth``;
            needs 17 Human3.6M-order joints.
        joint_indices (Sequence[int] | str, optional): joints to score, or a
            name: 'all' (default) or 'mpi_inf_3dhp_14', the 14 the 3DHP test
            kit scores (no pelvis, spine or head/nose).
        breakdown (Sequence[str]): any of 'sequence' (TS1...), 'scene' (GS,
            noGS, outdoor: each the frame-weighted mean of its sequences, as
            the test kit's README), 'activity' (the samples' ``activity``).
            Default: none.
        **kwargs: see :class:`_RootRelativePoseMetric`.
    """

    def __init__(self,
                 threshold: float = 150.0,
                 thresholds: Sequence[float] = tuple(
                     pose_metrics.MEHTA_AUC_THRESHOLDS),
                 alignment: str = 'scale',
                 depth_sign: str = 'predicted',
                 joint_indices: Optional[Union[Sequence[int], str]] = None,
                 breakdown: Sequence[str] = (),
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if alignment not in pose_metrics.ALIGNMENTS:
            raise ValueError(f'alignment must be one of '
                             f'{pose_metrics.ALIGNMENTS}, got {alignment!r}')
        if depth_sign not in pose_metrics.DEPTH_SIGNS:
            raise ValueError(f'depth_sign must be one of '
                             f'{pose_metrics.DEPTH_SIGNS}, got {depth_sign!r}')
        if isinstance(joint_indices, str):
            if joint_indices not in JOINT_SETS:
                raise ValueError(f'joint_indices must be indices or one of '
                                 f'{tuple(JOINT_SETS)}, got {joint_indices!r}')
            joint_indices = JOINT_SETS[joint_indices]
        breakdown = [breakdown] if isinstance(breakdown, str) else list(
            breakdown)
        unknown = [b for b in breakdown if b not in BREAKDOWNS]
        if unknown:
            raise ValueError(f'breakdown must be a subset of {BREAKDOWNS}, '
                             f'got {unknown}')
        self.threshold = float(threshold)
        self.thresholds = np.asarray(thresholds, dtype=np.float64)
        self.alignment = alignment
        self.depth_sign = depth_sign
        self.joint_indices = (None if joint_indices is None else
                              list(joint_indices))
        self.breakdown = breakdown

    def _scores(self, pred, gt, mask) -> Tuple[float, float]:
        return (pose_metrics.pck3d(pred, gt, self.threshold, mask,
                                   self.alignment),
                pose_metrics.auc_pck3d(pred, gt, self.thresholds, mask,
                                       self.alignment))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """``{'PCK3D': percent, 'AUC': percent, ...}``."""
        pred, gt, mask, actions = self._gather(results)
        sequences = np.concatenate([r['sequences'] for r in results])
        pred, mirrored = pose_metrics.orient_depth(pred, gt, self.depth_sign,
                                                   self.root_index)
        if self.joint_indices is not None:
            joints = self.joint_indices
            # align on the scored joints only, as the whole evaluation does
            pred, gt, mask = pred[:, joints], gt[:, joints], mask[:, joints]
        metrics = dict(zip(('PCK3D', 'AUC'), self._scores(pred, gt, mask)))
        if self.depth_sign == 'facing':
            metrics['FacingMirrored'] = 100.0 * float(mirrored.mean())

        def add(name, poses):
            metrics[f'PCK3D_{name}'], metrics[f'AUC_{name}'] = self._scores(
                pred[poses], gt[poses], mask[poses])
            metrics[f'Frames_{name}'] = float(poses.sum())

        if 'sequence' in self.breakdown or 'scene' in self.breakdown:
            present = [s for s in hp3d.TEST_SEQUENCES
                       if (sequences == s).any()]
            if not present:
                raise ValueError('breakdown by sequence or scene needs 3DHP '
                                 "samples ('sequence' or TS<k>_ image names)")
            per_sequence = {}
            for seq in present:
                poses = sequences == seq
                per_sequence[seq] = (*self._scores(pred[poses], gt[poses],
                                                   mask[poses]), poses.sum())
                if 'sequence' in self.breakdown:
                    add(seq, poses)
            if 'scene' in self.breakdown:
                self._add_scenes(metrics, per_sequence)
        if 'activity' in self.breakdown:
            official = [key for _, key in hp3d.ACTIVITIES.values()]
            seen = set(actions.tolist())
            for activity in ([a for a in official if a in seen] +
                             sorted(seen - set(official))):
                add(activity, actions == activity)
        if self.breakdown:
            self._log_table(metrics, len(pred))
        return metrics

    def _log_table(self, metrics: dict, frames: int) -> None:
        """The breakdown as a table in the log: one row per group."""
        joints = ('all' if self.joint_indices is None else
                  f'{len(self.joint_indices)}')
        lines = [f'{self.prefix or "PCK3D"}: joints {joints}, alignment '
                 f'{self.alignment}, depth sign {self.depth_sign}',
                 f'{"":<12}{"PCK3D":>8}{"AUC":>8}{"frames":>8}',
                 f'{"All":<12}{metrics["PCK3D"]:>8.1f}{metrics["AUC"]:>8.1f}'
                 f'{frames:>8d}']
        for key in metrics:
            if key.startswith('PCK3D_'):
                name = key[len('PCK3D_'):]
                lines.append(f'{name:<12}{metrics[key]:>8.1f}'
                             f'{metrics["AUC_" + name]:>8.1f}'
                             f'{int(metrics["Frames_" + name]):>8d}')
        MMLogger.get_current_instance().info('\n'.join(lines))

    def _add_scenes(self, metrics: dict, per_sequence: dict) -> None:
        """Scene scores: the frame-weighted mean of its sequences' (README
        of the test kit); a scene missing a sequence is reported."""
        logger: MMLogger = MMLogger.get_current_instance()
        for scene, members in hp3d.SCENES.items():
            there = [seq for seq in members if seq in per_sequence]
            if not there:
                logger.warning(f'3DHP scene {scene}: none of {members} '
                               'evaluated, no score')
                continue
            if len(there) < len(members):
                logger.warning(f'3DHP scene {scene} from {there} only: '
                               f'{sorted(set(members) - set(there))} missing')
            frames = [per_sequence[seq][2] for seq in there]
            for position, name in enumerate(('PCK3D', 'AUC')):
                metrics[f'{name}_{scene}'] = pose_metrics.frame_weighted_mean(
                    [per_sequence[seq][position] for seq in there], frames)
            metrics[f'Frames_{scene}'] = float(sum(frames))


@METRICS.register_module()
class DepthMirroredShareMetric(_RootRelativePoseMetric):
    """Share of poses (%) whose depth is mirrored: −ẑ fits the ground truth
    better than ẑ after Procrustes alignment (which cannot undo a reflection).

    The global depth flip is an exact symmetry of TIPSy's losses under
    orthographic projection, so a lifter can converge to the mirror image;
    PA-MPJPE alone then looks like a failure to learn. Every joint counts,
    visible or not (``pose_metrics.depth_mirrored_mask``).
    Reported overall and per action, as ``Mirrored`` and ``Mirrored_<Action>``.
    """

    def compute_metrics(self, results: list) -> Dict[str, float]:
        pred, gt, _, actions = self._gather(results)
        mirrored = pose_metrics.depth_mirrored_mask(pred, gt)
        metrics = {'Mirrored': 100.0 * float(mirrored.mean())}
        for action in sorted(set(actions.tolist())):
            metrics[f'Mirrored_{action}'] = 100.0 * float(
                mirrored[actions == action].mean())
        return metrics
