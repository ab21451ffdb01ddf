"""MMPose metrics for TIPSy: root-relative (N/PA-)MPJPE per action, PCK3D/AUC.

Thin wrappers around :mod:`tipsy_gan.core.pose_metrics`, structured like
MMPose's ``MPJPE`` metric (``process`` collects, ``compute_metrics`` scores).
Both prediction and ground truth are made root-relative before scoring, then
multiplied by ``unit_to_mm`` (MMPose's Human36mDataset gives metres, so the
default is 1000).
"""
from collections import defaultdict
from os import path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from mmpose.registry import METRICS

from tipsy_gan.core import pose_metrics

METRES_TO_MM = 1000.0


def h36m_action_from_path(img_path: str) -> str:
    """'S9_Directions_1.54138969_000001.jpg' -> 'Directions', as MMPose's MPJPE."""
    # drop the subject, then the camera/frame suffix, then the take number;
    # a name without these parts (other datasets) keeps what is left
    rest = osp.basename(img_path).split('_', 1)[-1]
    return rest.split('.', 1)[0].split('_')[0]


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
            actions = np.array([h36m_action_from_path(img_path)] *
                               gt_coords.shape[0])

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
            })

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

    Output keys, per mode in ``modes``: ``'MPJPE'``, ``'N-MPJPE'``,
    ``'PA-MPJPE'``, and ``'<KEY>_<Action>'`` (e.g. ``'PA-MPJPE_Directions'``)
    for every action seen, the action parsed from ``target_img_path`` as in
    MMPose's ``MPJPE`` metric.

    Args:
        modes (Sequence[str]): any of 'mpjpe', 'n-mpjpe', 'pa-mpjpe'.
            Default: all three.
        per_action (bool): also report per-action errors. Default True.
        **kwargs: see :class:`_RootRelativePoseMetric`.
    """

    ALIGNMENT = {'mpjpe': 'none', 'n-mpjpe': 'scale', 'pa-mpjpe': 'procrustes'}

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
            name = mode.upper()
            alignment = self.ALIGNMENT[mode]
            logger.info(f'Evaluating {name}...')
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
    (150 mm). AUC: mean PCK3D over ``thresholds`` (0 to 150 mm, 31 steps).

    Output keys: ``'PCK3D'`` and ``'AUC'``.

    Args:
        threshold (float): PCK threshold in mm. Default 150.
        thresholds (Sequence[float]): AUC thresholds in mm. Default
            ``np.linspace(0, 150, 31)``.
        alignment (str): applied to each prediction before scoring, one of
            ``pose_metrics.ALIGNMENTS``. Mehta et al. score unaligned
            metric predictions ('none'); a scale-free lifter needs a scale:
            'scale' (least squares, default) or 'xy_extent' (the TIPSy
            paper's "scale them up by their original normalising factor").
        joint_indices (Sequence[int], optional): joints to score; Mehta et
            al. use 14 (no pelvis, spine or nose). Default: all.
        **kwargs: see :class:`_RootRelativePoseMetric`.
    """

    def __init__(self,
                 threshold: float = 150.0,
                 thresholds: Sequence[float] = tuple(
                     pose_metrics.MEHTA_AUC_THRESHOLDS),
                 alignment: str = 'scale',
                 joint_indices: Optional[Sequence[int]] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if alignment not in pose_metrics.ALIGNMENTS:
            raise ValueError(f'alignment must be one of '
                             f'{pose_metrics.ALIGNMENTS}, got {alignment!r}')
        self.threshold = float(threshold)
        self.thresholds = np.asarray(thresholds, dtype=np.float64)
        self.alignment = alignment
        self.joint_indices = (None if joint_indices is None else
                              list(joint_indices))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """``{'PCK3D': percent, 'AUC': percent}``."""
        pred, gt, mask, _ = self._gather(results)
        if self.joint_indices is not None:
            joints = self.joint_indices
            # align on the scored joints only, as the whole evaluation does
            pred, gt, mask = pred[:, joints], gt[:, joints], mask[:, joints]
        return {
            'PCK3D':
            pose_metrics.pck3d(pred, gt, self.threshold, mask,
                               self.alignment),
            'AUC':
            pose_metrics.auc_pck3d(pred, gt, self.thresholds, mask,
                                   self.alignment),
        }


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
