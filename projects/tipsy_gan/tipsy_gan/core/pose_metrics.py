"""3D pose error metrics in plain NumPy: (N/PA-)MPJPE, PCK3D and its AUC,
and which poses are depth-mirrored.

All functions take ``pred`` and ``gt`` of shape ``(N, K, 3)`` in the same
unit (the MMPose glue passes millimetres) and an optional boolean ``mask``
``(N, K)`` of joints to score (default: all). The alignment is fitted on the
masked joints only and errors are averaged over all masked joints of all
poses, as MMPose's ``keypoint_mpjpe`` does.

None of these functions makes poses root-relative on its own; the callers
(MMPose metrics in ``tipsy_gan.evaluation``) apply :func:`root_relative` to
both prediction and ground truth first.

Alignments, by name (``alignment=`` argument):

- ``'none'``: MPJPE, protocol I of Human3.6M [Ionescu et al., TPAMI 2014].
- ``'scale'``: N-MPJPE [Rhodin et al., CVPR 2018]; MMPose's ``'scale'``.
- ``'procrustes'``: PA-MPJPE, protocol II (rigid + scale alignment), a
  proper rotation: a mirror image is not undone (MMPose's).
- ``'procrustes_reflection'``: the same fit with reflections allowed (an
  orthogonal matrix of det ±1), as ElePose [Wandt et al., CVPR 2022] and the
  TIPSy authors' code align: a depth-mirrored prediction scores as if it
  were not mirrored. Reported separately, never as PA-MPJPE.
- ``'xy_extent'``: scale the prediction so that its largest root-relative
  |x| or |y| equals the ground truth's. The TIPSy paper (§4, MPI-INF-3DHP)
  "scale[s] them up by their original normalising factor" before PCK3D; this
  is our reading of that, given TIPSy's max-normalisation (paper §3).

:func:`depth_mirrored_mask` detects the global depth flip z → −z, an exact
symmetry of TIPSy's orthographic losses: which poses fit the ground truth
better mirrored (over all joints, no mask), after the same alignments.

Depth signs, by name (``depth_sign=`` of :func:`orient_depth`):

- ``'predicted'``: the depths as the lifter gives them.
- ``'facing'``: the TIPSy paper's MPI-INF-3DHP protocol (§4.2) "assume[s]
  that the direction the person is facing with respect to the camera is
  known": each prediction is mirrored in depth when that turns its body's
  facing direction (:func:`body_facing`) towards the ground truth's. An
  oracle: it reads the ground truth.
"""
from typing import Optional, Sequence, Tuple

import numpy as np

from .skeleton import LEFT_HIP, LEG_JOINTS, RIGHT_HIP, ROOT, THORAX, TORSO_JOINTS

ALIGNMENTS = ('none', 'scale', 'procrustes', 'procrustes_reflection',
              'xy_extent')
DEPTH_SIGNS = ('predicted', 'facing')
# TIPSy's two generators (paper §3.1), in the 17-joint order: the parts whose
# depth signs the oracle-sign error sets.
TIPSY_PARTS = (LEG_JOINTS, TORSO_JOINTS)
# Mehta et al. (3DV 2017) sample the PCK curve every 5 mm from 0 to 150 mm.
MEHTA_AUC_THRESHOLDS = np.linspace(0, 150, 31)


def root_relative(poses: np.ndarray, root_index: int = 0) -> np.ndarray:
    """Subtract each pose's root joint: ``(..., K, D) -> (..., K, D)``."""
    poses = np.asarray(poses)
    return poses - poses[..., root_index:root_index + 1, :]


def mirror_depth(poses: np.ndarray, root_index: int = 0) -> np.ndarray:
    """Reflect each pose through the plane z = z_root: ``(..., K, 3)``.

    Root-relative depths change sign; x and y stay. Returns a float64 copy.
    """
    mirrored = np.array(poses, dtype=np.float64)
    root_z = mirrored[..., root_index:root_index + 1, 2]
    mirrored[..., 2] = 2 * root_z - mirrored[..., 2]
    return mirrored


def _check_inputs(pred, gt, mask) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    pred = np.asarray(pred, dtype=np.float64)
    gt = np.asarray(gt, dtype=np.float64)
    if pred.ndim != 3 or pred.shape[-1] != 3:
        raise ValueError(f'pred must have shape (N, K, 3), got {pred.shape}')
    if gt.shape != pred.shape:
        raise ValueError(f'gt shape {gt.shape} != pred shape {pred.shape}')
    if mask is None:
        mask = np.ones(pred.shape[:2], dtype=bool)
    else:
        mask = np.asarray(mask).astype(bool)
        if mask.shape != pred.shape[:2]:
            raise ValueError(
                f'mask must have shape {pred.shape[:2]}, got {mask.shape}')
    if not mask.any():
        raise ValueError('mask selects no joints: nothing to evaluate')
    finite = np.isfinite(pred).all(axis=-1) & np.isfinite(gt).all(axis=-1)
    if not (finite | ~mask).all():
        raise ValueError('pred or gt contains NaN or inf at masked joints')
    return pred, gt, mask


def _safe_divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, and 0 where den == 0 (a pose collapsed to one point)."""
    out = np.zeros_like(num)
    np.divide(num, den, out=out, where=den != 0)
    return out


def align_scale(pred: np.ndarray, gt: np.ndarray,
                mask: Optional[np.ndarray] = None) -> np.ndarray:
    """Scale each pose by ``s = <pred, gt> / <pred, pred>`` (masked joints).

    ``s`` minimises ``||s * pred - gt||^2`` per pose, the N-MPJPE alignment
    of Rhodin et al. (CVPR 2018) and MMPose's ``alignment='scale'``.
    """
    pred, gt, mask = _check_inputs(pred, gt, mask)
    w = mask[..., None]
    pred_dot_gt = np.sum(w * pred * gt, axis=(1, 2))
    pred_dot_pred = np.sum(w * pred * pred, axis=(1, 2))
    scale = _safe_divide(pred_dot_gt, pred_dot_pred)
    return pred * scale[:, None, None]


def align_procrustes(pred: np.ndarray, gt: np.ndarray,
                     mask: Optional[np.ndarray] = None,
                     allow_reflection: bool = False) -> np.ndarray:
    """Similarity Procrustes: ``s * R @ pred + t`` closest to ``gt`` per pose.

    Rotation ``R``, uniform scale ``s`` and translation ``t`` are fitted in
    the least-squares sense on the masked joints (Umeyama, TPAMI 1991), as in
    MMPose's ``compute_similarity_transform``. Reflections are NOT allowed:
    if the best orthogonal matrix has det -1, the sign of the singular
    direction with the smallest singular value is flipped so ``det R = +1``.
    A mirror-image prediction (e.g. depth flipped) therefore keeps an error.
    ``allow_reflection=True`` skips that correction (Umeyama's fit over all
    orthogonal matrices): ``'procrustes_reflection'``.
    """
    pred, gt, mask = _check_inputs(pred, gt, mask)
    w = mask[..., None].astype(np.float64)
    count = w.sum(axis=1, keepdims=True)
    mu_pred = (w * pred).sum(axis=1, keepdims=True) / count
    mu_gt = (w * gt).sum(axis=1, keepdims=True) / count
    x = (pred - mu_pred) * w
    y = (gt - mu_gt) * w
    # H = sum_i x_i y_i^T; R = V D U^T maximises trace(R H).
    h = np.swapaxes(x, 1, 2) @ y
    u, sigma, vt = np.linalg.svd(h)
    v = np.swapaxes(vt, 1, 2)
    signs = np.ones_like(sigma)
    if not allow_reflection:
        d = np.sign(np.linalg.det(v @ np.swapaxes(u, 1, 2)))
        d[d == 0] = 1.0
        signs[:, -1] = d  # svd sorts singular values descending
    rotation = v @ (signs[:, :, None] * np.swapaxes(u, 1, 2))
    scale = _safe_divide((signs * sigma).sum(axis=1), (x**2).sum(axis=(1, 2)))
    centred = pred - mu_pred
    return (scale[:, None, None] * centred @ np.swapaxes(rotation, 1, 2) +
            mu_gt)


def align_xy_extent(pred: np.ndarray, gt: np.ndarray,
                    mask: Optional[np.ndarray] = None) -> np.ndarray:
    """Scale each pose so its max |x| or |y| (masked joints) matches ``gt``'s.

    Our reading of the TIPSy paper's 3DHP protocol (§4): undo the per-pose
    max-normalisation (§3) using the ground truth's own normalising factor.
    Expects root-relative poses.
    """
    pred, gt, mask = _check_inputs(pred, gt, mask)
    w = mask[..., None]
    pred_extent = np.abs(w * pred[..., :2]).max(axis=(1, 2))
    gt_extent = np.abs(w * gt[..., :2]).max(axis=(1, 2))
    return pred * _safe_divide(gt_extent, pred_extent)[:, None, None]


_ALIGN = {
    'none': lambda pred, gt, mask: _check_inputs(pred, gt, mask)[0],
    'scale': align_scale,
    'procrustes': align_procrustes,
    'procrustes_reflection': lambda pred, gt, mask: align_procrustes(
        pred, gt, mask, allow_reflection=True),
    'xy_extent': align_xy_extent,
}


def joint_errors(pred: np.ndarray,
                 gt: np.ndarray,
                 mask: Optional[np.ndarray] = None,
                 alignment: str = 'none') -> np.ndarray:
    """Euclidean error per joint ``(N, K)`` after ``alignment`` (see module)."""
    if alignment not in _ALIGN:
        raise ValueError(
            f'alignment must be one of {ALIGNMENTS}, got {alignment!r}')
    pred, gt, mask = _check_inputs(pred, gt, mask)
    aligned = _ALIGN[alignment](pred, gt, mask)
    return np.linalg.norm(aligned - gt, axis=-1)


def _masked_errors(pred, gt, mask, alignment: str) -> np.ndarray:
    """1-D errors of the masked joints of all poses, after ``alignment``."""
    _, _, mask = _check_inputs(pred, gt, mask)
    return joint_errors(pred, gt, mask, alignment)[mask]


def mpjpe(pred: np.ndarray,
          gt: np.ndarray,
          mask: Optional[np.ndarray] = None) -> float:
    """Mean per-joint position error, no alignment (H36M protocol I).

    Mean Euclidean distance over the masked joints of all poses
    (Ionescu et al., TPAMI 2014). Only meaningful when ``pred`` is in the
    same metric unit as ``gt``, which an unsupervised, scale-free lifter
    such as TIPSy does not provide; use :func:`n_mpjpe` / :func:`pa_mpjpe`.
    """
    return float(_masked_errors(pred, gt, mask, 'none').mean())


def n_mpjpe(pred: np.ndarray,
            gt: np.ndarray,
            mask: Optional[np.ndarray] = None) -> float:
    """MPJPE after the optimal per-pose scale (Rhodin et al., CVPR 2018)."""
    return float(_masked_errors(pred, gt, mask, 'scale').mean())


def pa_mpjpe(pred: np.ndarray,
             gt: np.ndarray,
             mask: Optional[np.ndarray] = None) -> float:
    """MPJPE after similarity Procrustes alignment (H36M protocol II).

    Rotation (no reflection), uniform scale and translation per pose; see
    :func:`align_procrustes`. The TIPSy paper reports this on Human3.6M.
    """
    return float(_masked_errors(pred, gt, mask, 'procrustes').mean())


def pa_mpjpe_reflection(pred: np.ndarray,
                        gt: np.ndarray,
                        mask: Optional[np.ndarray] = None) -> float:
    """PA-MPJPE with reflections allowed (``'procrustes_reflection'``).

    The alignment ElePose and the TIPSy authors' code use: a depth-mirrored
    prediction loses nothing. Not protocol II; report it beside
    :func:`pa_mpjpe`, named as what it is.
    """
    return float(_masked_errors(pred, gt, mask,
                                'procrustes_reflection').mean())


def pck3d(pred: np.ndarray,
          gt: np.ndarray,
          threshold: float = 150.0,
          mask: Optional[np.ndarray] = None,
          alignment: str = 'none') -> float:
    """3D PCK in percent: share of masked joints with error < ``threshold``.

    Mehta et al., "Monocular 3D Human Pose Estimation In The Wild Using
    Improved CNN Supervision" (3DV 2017): a joint is correct if its 3D error
    is below 150 mm. ``threshold`` is in the unit of ``pred``/``gt``.
    """
    errors = _masked_errors(pred, gt, mask, alignment)
    return float(100.0 * np.mean(errors < threshold))


def auc_pck3d(pred: np.ndarray,
              gt: np.ndarray,
              thresholds: np.ndarray = MEHTA_AUC_THRESHOLDS,
              mask: Optional[np.ndarray] = None,
              alignment: str = 'none') -> float:
    """Area under the PCK3D curve, in percent: mean PCK over ``thresholds``.

    Mehta et al. (3DV 2017) average PCK3D over 31 thresholds, 0 to 150 mm in
    5 mm steps (the default). PCK at 0 mm is 0 by the strict ``<``.
    """
    thresholds = np.asarray(thresholds, dtype=np.float64).reshape(-1)
    if thresholds.size == 0:
        raise ValueError('thresholds is empty')
    errors = _masked_errors(pred, gt, mask, alignment)
    pck_curve = (errors[None, :] < thresholds[:, None]).mean(axis=1)
    return float(100.0 * pck_curve.mean())


def flip_part_depths(poses: np.ndarray, parts: Sequence[Sequence[int]],
                     flips: Sequence[bool],
                     root_index: int = 0) -> np.ndarray:
    """Each part whose ``flips`` entry is True reflected in depth about the
    root (its root-relative depths change sign); a float64 copy."""
    out = np.array(poses, dtype=np.float64)
    root_z = out[..., root_index:root_index + 1, 2]
    for joints, flip in zip(parts, flips):
        if flip:
            joints = list(joints)
            out[..., joints, 2] = 2 * root_z - out[..., joints, 2]
    return out


def oracle_sign_joint_errors(pred: np.ndarray, gt: np.ndarray,
                             mask: Optional[np.ndarray] = None,
                             parts: Sequence[Sequence[int]] = TIPSY_PARTS,
                             alignment: str = 'procrustes') -> np.ndarray:
    """``(N, K)`` errors after ``alignment`` of the best of the ``2**P``
    depth-sign combinations of ``parts`` per pose (the smallest mean error
    over the masked joints): the "oracle-sign" error.

    It sets each part's depth sign from the ground truth, so what is left is
    the error of shape alone. An oracle: it describes a run (sign errors
    against shape errors) and never chooses anything. With the default parts
    (legs, torso: TIPSy's generators) the all-flipped combination is the
    whole pose mirrored, so the value is at most PA-MPJPE-reflection's
    per-pose choice between a pose and its mirror.
    """
    pred, gt, mask = _check_inputs(pred, gt, mask)
    best_errors, best_mean = None, None
    for code in range(2 ** len(parts)):
        flips = [bool(code >> i & 1) for i in range(len(parts))]
        errors = joint_errors(flip_part_depths(pred, parts, flips), gt, mask,
                              alignment)
        mean = (errors * mask).sum(1) / mask.sum(1).clip(min=1)
        if best_errors is None:
            best_errors, best_mean = errors, mean
        else:
            better = mean < best_mean
            best_errors = np.where(better[:, None], errors, best_errors)
            best_mean = np.minimum(mean, best_mean)
    return best_errors


def pa_mpjpe_oracle_sign(pred: np.ndarray, gt: np.ndarray,
                         mask: Optional[np.ndarray] = None,
                         parts: Sequence[Sequence[int]] = TIPSY_PARTS
                         ) -> float:
    """PA-MPJPE with each part's depth sign set by the ground truth
    (:func:`oracle_sign_joint_errors`); an oracle, reported beside
    PA-MPJPE, never as it."""
    _, _, mask = _check_inputs(pred, gt, mask)
    return float(oracle_sign_joint_errors(pred, gt, mask, parts)[mask].mean())


def depth_mirrored_mask(pred: np.ndarray,
                        gt: np.ndarray,
                        alignment: str = 'procrustes') -> np.ndarray:
    """``(N,)`` True where ``mirror_depth(pred)`` fits ``gt`` better than
    ``pred``: its mean error over all joints is smaller.

    ``'procrustes'`` (default) compares PA errors, so the units of ``pred``
    and ``gt`` may differ; the alignment allows no reflection, so it cannot
    undo a mirror. ``'none'`` compares the poses as given (same unit,
    root-relative, as the module's callers make them).
    """
    pred, gt, _ = _check_inputs(pred, gt, None)

    def pose_errors(candidate):
        return joint_errors(candidate, gt, alignment=alignment).mean(axis=1)

    return pose_errors(mirror_depth(pred)) < pose_errors(pred)


def body_facing(poses: np.ndarray) -> np.ndarray:
    """``(..., 3)`` the way each body faces: (left hip − right hip) ×
    (thorax − root), Human3.6M joint order (as ``depth_flip.body_forward_
    direction``, unnormalised).

    Its z component depends on x and y only, so mirroring the depths keeps
    it and reverses the x and y components: a depth-mirrored pose faces the
    camera as much, but turned the other way.
    """
    poses = np.asarray(poses, dtype=np.float64)
    across = poses[..., LEFT_HIP, :] - poses[..., RIGHT_HIP, :]
    up = poses[..., THORAX, :] - poses[..., ROOT, :]
    return np.cross(across, up)


def orient_depth(pred: np.ndarray, gt: np.ndarray,
                 depth_sign: str = 'predicted',
                 root_index: int = ROOT) -> Tuple[np.ndarray, np.ndarray]:
    """``(pred with depths oriented, (N,) mirrored)`` for ``depth_sign``
    (module docstring). Poses ``(N, 17, 3)``, Human3.6M order.

    ``'facing'`` mirrors a pose (:func:`mirror_depth`) when its facing
    direction and the ground truth's point apart in x, y, the components a
    mirror reverses; a pose facing the camera squarely is kept.
    """
    if depth_sign not in DEPTH_SIGNS:
        raise ValueError(
            f'depth_sign must be one of {DEPTH_SIGNS}, got {depth_sign!r}')
    pred = np.asarray(pred, dtype=np.float64)
    if depth_sign == 'predicted':
        return pred, np.zeros(len(pred), dtype=bool)
    agreement = (body_facing(pred)[..., :2] *
                 body_facing(gt)[..., :2]).sum(-1)
    mirrored = agreement < 0
    oriented = pred.copy()
    oriented[mirrored] = mirror_depth(pred[mirrored], root_index)
    return oriented, mirrored


def frame_weighted_mean(values: Sequence[float],
                        frames: Sequence[int]) -> float:
    """Σ values·frames / Σ frames: how the MPI-INF-3DHP test kit combines
    per-sequence PCK or AUC into a scene's ("(TS1*603 + TS2*540) /
    (603+540)", its README.txt). With every joint scored in every frame this
    equals pooling the scene's frames."""
    values = np.asarray(values, dtype=np.float64)
    frames = np.asarray(frames, dtype=np.float64)
    if values.shape != frames.shape or not len(values) or frames.sum() <= 0:
        raise ValueError(f'need as many frame counts as values, > 0 in all; '
                         f'got {values.shape} values, frames {frames}')
    return float((values * frames).sum() / frames.sum())
