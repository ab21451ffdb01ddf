"""The TIPSy PoseLifter on torch tensors, on the device the lifter is on.

``mmpose.apis.inference_pose_lifter_model`` gives the same 3D, but through
MMPose's data pipeline and the codec's NumPy decoding (a host round trip per
call). :func:`lift_h36m` does the codec's work in torch: TIPSy's 2D
normalisation (``tipsy_gan.core.normalization``), the backbone, and the
decoding (root back at the origin, times the 2D scale).
"""
import os.path as osp

import numpy as np
import torch
from mmpose.models.pose_estimators import PoseLifter

from .. import mmpose_modules  # noqa: F401  (TIPSy's registered parts)
from ..core.inference import lift_h36m_keypoints
from ..models.pose_lifter_parts import TIPSyLifterBackbone
from ..paths import DEFAULT_LIFTER_CONFIG, PUBLISHED_STUDENT
from .loading import load_lifter


def load_pose_lifter(config=DEFAULT_LIFTER_CONFIG,
                     checkpoint=PUBLISHED_STUDENT,
                     device: str = 'cpu') -> PoseLifter:
    """The TIPSy PoseLifter (by default the published CPU-scale student),
    through the one loader (``apis.loading.load_lifter``).

    Raises:
        FileNotFoundError: no checkpoint at ``checkpoint``, saying how to
            make or pass one.
        ValueError: a config that is not a TIPSy PoseLifter, or a
            checkpoint that is not an exported student.
    """
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(
            f'lifter checkpoint not found: {checkpoint}. The published '
            f'student belongs at {PUBLISHED_STUDENT}; or export one '
            '(python tools/export_student.py TIPSYGAN_CHECKPOINT OUT.pth) '
            'and pass it with --lifter-checkpoint')
    lifter = load_lifter(config, checkpoint, device=device).model
    if not (isinstance(lifter, PoseLifter)
            and isinstance(lifter.backbone, TIPSyLifterBackbone)):
        raise ValueError(f'{config} is not a TIPSy PoseLifter config '
                         '(TIPSyLifterBackbone + TIPSyLiftingHead), e.g. '
                         f'{DEFAULT_LIFTER_CONFIG}')
    return lifter


@torch.no_grad()
def lift_h36m(lifter: PoseLifter, keypoints_h36m: torch.Tensor
              ) -> torch.Tensor:
    """(N, 17, 3) root-relative 3D from (N, 17, 2) Human3.6M 2D keypoints.

    Runs where ``keypoints_h36m`` and the lifter are; returns the codec's
    decoding: camera axes (x right, y down, z away), the root (pelvis) at the
    origin, in the pixel units of each 2D pose.
    """
    if lifter.head.decoder.root_index != 0:
        raise ValueError('the lifter must have its root at index 0 (the '
                         'Human3.6M pelvis), got '
                         f'{lifter.head.decoder.root_index}')
    return lift_h36m_keypoints(
        lambda pose_2d: lifter.head.forward(lifter.extract_feat(pose_2d)),
        keypoints_h36m)


def to_display_frame(keypoints_3d: np.ndarray) -> np.ndarray:
    """Camera axes -> the axes MMPose's 3D demo and inferencer plot in.

    As MMPose 1.3.2's ``Pose3DInferencer.forward``: (x, y, z) ->
    (-x, z, -y) (z up), then the lowest joint moved to height 0.
    """
    display = keypoints_3d[..., [0, 2, 1]].copy()
    display[..., 0] *= -1
    display[..., 2] *= -1
    height = display[..., 2]
    # NaN joints (people not lifted) stay NaN and do not move the floor
    height -= np.where(np.isnan(height), np.inf, height).min(-1,
                                                             keepdims=True)
    return display

