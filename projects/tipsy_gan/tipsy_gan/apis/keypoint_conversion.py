"""2D keypoints of an MMPose 2D model -> the lifter's Human3.6M 17 joints.

The conversion is MMPose's own (``convert_keypoint_definition`` in
``mmpose/apis/inference_3d.py`` of MMPose 1.3.2, 'coco' -> 'h36m', which its
``Pose3DInferencer`` and ``demo/body3d_pose_lifter_demo.py`` use):

- pelvis (root) = mid-hips, thorax = mid-shoulders,
  spine = mid(pelvis, thorax), head = mid-eyes,
- neck_base = nose, the limbs copied (the ears are not used).

Here it is one (17, 17) weight matrix, so it runs in torch on the
keypoints' device, and it carries scores: a derived joint's score is the
minimum of its sources' scores (it is no more certain than its least certain
source), where MMPose converts coordinates only. A non-finite (NaN, inf)
keypoint makes NaN only the joints derived from it (the ears make none).

Low-confidence policy (:func:`lifting_mask`): a person is lifted only if all
17 converted joints score at least ``min_keypoint_score``; otherwise it is
skipped with a reason naming the low joints. TIPSy lifts whole skeletons and
never saw a missing or guessed joint in training, so a person is not lifted
from guessed keypoints.
"""
from typing import Dict, Optional, Sequence, Tuple

import torch

from ..core.skeleton import H36M_JOINT_NAMES, NUM_JOINTS

COCO_KEYPOINT_NAMES = (
    'nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear', 'left_shoulder',
    'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist',
    'right_wrist', 'left_hip', 'right_hip', 'left_knee', 'right_knee',
    'left_ankle', 'right_ankle')

COCO = 'coco'
H36M = 'h36m'
LAYOUT_NAMES = {COCO: COCO_KEYPOINT_NAMES, H36M: H36M_JOINT_NAMES}

# H36M joint -> the COCO joints it is the mean of (MMPose's convention; the
# spine, mid(pelvis, thorax), is the mean of both hips and both shoulders).
COCO_SOURCES_OF_H36M = {
    0: (11, 12),  # root (pelvis): mid-hips
    1: (12, ), 2: (14, ), 3: (16, ),  # right hip, knee, foot (ankle)
    4: (11, ), 5: (13, ), 6: (15, ),  # left hip, knee, foot (ankle)
    7: (11, 12, 5, 6),  # spine: mid(pelvis, thorax)
    8: (5, 6),  # thorax: mid-shoulders
    9: (0, ),  # neck_base: nose
    10: (1, 2),  # head: mid-eyes
    11: (5, ), 12: (7, ), 13: (9, ),  # left shoulder, elbow, wrist
    14: (6, ), 15: (8, ), 16: (10, ),  # right shoulder, elbow, wrist
}


class UnsupportedKeypointLayout(ValueError):
    """The 2D model's keypoints cannot be converted to Human3.6M's 17."""


def _coco_to_h36m_weights() -> torch.Tensor:
    weights = torch.zeros(NUM_JOINTS, len(COCO_KEYPOINT_NAMES))
    for joint, sources in COCO_SOURCES_OF_H36M.items():
        weights[joint, list(sources)] = 1.0 / len(sources)
    return weights


COCO_TO_H36M_WEIGHTS = _coco_to_h36m_weights()


def keypoint_layout(dataset_meta: Dict) -> str:
    """'coco' or 'h36m' from a 2D model's ``dataset_meta`` keypoint names.

    Decided by the names, not the dataset name, so any dataset with COCO's
    17 body keypoints converts and no other layout is guessed at.

    Raises:
        UnsupportedKeypointLayout: any other layout, with what it is and
            what is supported.
    """
    id2name = dataset_meta.get('keypoint_id2name') or {}
    names = tuple(id2name[i] for i in sorted(id2name))
    for layout, layout_names in LAYOUT_NAMES.items():
        if names == layout_names:
            return layout
    dataset = dataset_meta.get('dataset_name', 'unknown dataset')
    raise UnsupportedKeypointLayout(
        f"the 2D model's keypoints ({dataset!r}, {len(names)} keypoints: "
        f"{', '.join(names[:6])}{', ...' if len(names) > 6 else ''}) cannot "
        "be converted to the lifter's Human3.6M 17 joints: use a 2D model "
        "trained on COCO's 17 body keypoints (e.g. MMPose's "
        'td-hm_hrnet-w32_8xb64-210e_coco-256x192) or on Human3.6M 17')


def layout_from_names(names: Sequence[str]) -> str:
    """'coco' or 'h36m' for a list of keypoint names (else the same error)."""
    return keypoint_layout(
        dict(keypoint_id2name=dict(enumerate(names)),
             dataset_name='keypoint names given'))


def to_h36m(keypoints: torch.Tensor, scores: torch.Tensor,
            layout: str) -> Tuple[torch.Tensor, torch.Tensor]:
    """(N, 17, 2) keypoints and (N, 17) scores in the Human3.6M layout.

    Args:
        keypoints: (N, K, 2) in the 2D model's layout, any device.
        scores: (N, K).
        layout: 'coco' or 'h36m' (:func:`keypoint_layout`).
    """
    if keypoints.dim() != 3 or keypoints.shape[-1] != 2 or \
            scores.shape != keypoints.shape[:2]:
        raise ValueError(f'expected keypoints (N, K, 2) and scores (N, K), '
                         f'got {tuple(keypoints.shape)} and '
                         f'{tuple(scores.shape)}')
    expected = len(LAYOUT_NAMES[layout])
    if keypoints.shape[1] != expected:
        raise UnsupportedKeypointLayout(
            f'{layout} keypoints must number {expected}, got '
            f'{keypoints.shape[1]}')
    if layout == H36M:
        return keypoints, scores
    weights = COCO_TO_H36M_WEIGHTS.to(keypoints)
    # a non-finite keypoint makes NaN only the joints made from it (0 * NaN
    # is NaN: it must not reach the other joints through a zero weight)
    finite = torch.isfinite(keypoints).all(-1)
    converted = torch.einsum('hc,ncd->nhd', weights,
                             torch.where(finite[..., None], keypoints, 0.0))
    spoilt = torch.einsum('hc,nc->nh', (weights > 0).to(weights),
                          (~finite).to(weights)) > 0
    converted = converted.masked_fill(spoilt[..., None], float('nan'))
    # min over each joint's sources: non-sources count as +inf
    source_scores = torch.where(weights > 0, scores[:, None, :].to(weights),
                                torch.full_like(weights, float('inf')))
    return converted, source_scores.amin(dim=-1)


def lifting_mask(keypoints_h36m: torch.Tensor, scores_h36m: torch.Tensor,
                 min_keypoint_score: Optional[float]) -> torch.Tensor:
    """(N,) bool on the keypoints' device: which people can be lifted.

    A person is lifted when every converted joint scores at least
    ``min_keypoint_score`` (``None``: scores are not checked) and its 2D
    pose has an extent (all joints at one point cannot be normalised).
    """
    centred = keypoints_h36m - keypoints_h36m[:, :1]
    ok = torch.isfinite(keypoints_h36m).flatten(1).all(1) & (
        centred.abs().flatten(1).amax(1) > 0)
    if min_keypoint_score is not None:
        ok &= (scores_h36m >= min_keypoint_score).all(1)
    return ok


def skip_reason(keypoints_h36m, scores_h36m,
                min_keypoint_score: Optional[float]) -> str:
    """Why :func:`lifting_mask` refused one person ((17, 2), (17,) on host)."""
    keypoints_h36m = torch.as_tensor(keypoints_h36m)
    scores_h36m = torch.as_tensor(scores_h36m)
    if not torch.isfinite(keypoints_h36m).all():
        return 'non-finite 2D keypoints'
    if min_keypoint_score is not None:
        low = [f'{H36M_JOINT_NAMES[j]} {float(scores_h36m[j]):.2f}'
               for j in range(NUM_JOINTS)
               if not scores_h36m[j] >= min_keypoint_score]
        if low:
            return (f'keypoint score below --min-keypoint-score '
                    f'{min_keypoint_score:g}: {", ".join(low)}')
    return 'degenerate 2D pose (all keypoints at one point)'
