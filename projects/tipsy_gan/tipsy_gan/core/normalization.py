"""TIPSy's 2D pose normalisation (paper §3), for NumPy arrays and torch tensors.

Paper §3: "Our 2D poses consist of N key-points (x_i, y_i) with the root
key-point ... being located at the origin (0, 0). ... we used max-normalisation
on each of our 2D poses to scale their 2D coordinates between -1 and 1."

What "max-normalised" means here, exactly:

    root   = p[root_index]                        # (2,) pixels
    c_i    = p_i - root                           # root-centred
    scale  = max_i max(|c_i.x|, |c_i.y|)          # one number per pose
    n_i    = c_i / scale                          # max |coordinate| == 1

One scale for x and y together (not one per axis), so the aspect ratio of the
pose is kept; this is what lets a 90° rotation swap x and z in the paper's
consistency losses (§3.2). All joints count towards the maximum, visible or not.

Every function works on ``np.ndarray`` and ``torch.Tensor`` alike and keeps
the leading batch dimensions: ``(..., K, 2)``.
"""
from typing import Tuple, Union

import numpy as np
import torch

Array = Union[np.ndarray, torch.Tensor]


def _is_torch(x) -> bool:
    return isinstance(x, torch.Tensor)


def _as_float_array(x) -> Array:
    """Tensors pass through (made floating); anything else becomes a float ndarray."""
    if _is_torch(x):
        return x if x.is_floating_point() else x.float()
    x = np.asarray(x)
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)


def _all_finite(x: Array) -> bool:
    if _is_torch(x):
        return bool(torch.isfinite(x).all())
    return bool(np.isfinite(x).all())


def max_abs_coordinate(centred: Array) -> Array:
    """Per-pose max |coordinate| over joints and both axes: (..., K, 2) -> (...).

    The normalising scale of a root-centred pose (and of a rotated view,
    which ``adversarial_step`` renormalises by it)."""
    if _is_torch(centred):
        return centred.abs().amax(dim=(-2, -1))
    return np.abs(centred).max(axis=(-2, -1))


def _check_pose_2d(keypoints_2d: Array, root_index: int, name: str) -> None:
    shape = tuple(keypoints_2d.shape)
    if len(shape) < 2 or shape[-1] != 2:
        raise ValueError(
            f'{name} must have shape (..., K, 2), got {shape}')
    if not -shape[-2] <= root_index < shape[-2]:
        raise ValueError(f'root_index {root_index} is out of range for '
                         f'{shape[-2]} keypoints')
    if not _all_finite(keypoints_2d):
        raise ValueError(f'{name} contains NaN or inf values')


def normalize_pose_2d(keypoints_2d: Array,
                      root_index: int = 0,
                      validate: bool = True) -> Tuple[Array, Array, Array]:
    """Root-centre and max-normalise 2D poses (TIPSy paper §3).

    Args:
        keypoints_2d: ``(..., K, 2)`` pixel (or any unit) coordinates, NumPy
            or torch. Integer input is converted to float.
        root_index: the root (pelvis) joint, moved to the origin.
        validate: check shape, finiteness and degenerate poses. Set ``False``
            in GPU training loops to avoid the host sync the checks cost;
            then a degenerate pose gives inf/NaN instead of an error.

    Returns:
        ``(normalised, scale, root)``: ``normalised`` is ``(..., K, 2)`` with
        the root at (0, 0) and ``max |coordinate| == 1`` per pose; ``scale``
        ``(...)`` is that maximum before division (input units); ``root``
        ``(..., 2)`` is the root position in input units. Same array type,
        device and floating dtype as the input.

    Raises:
        ValueError: wrong shape, NaN/inf, or a degenerate pose (every joint
            at the root, so the scale is 0).
    """
    keypoints_2d = _as_float_array(keypoints_2d)
    if validate:
        _check_pose_2d(keypoints_2d, root_index, 'keypoints_2d')
    root = keypoints_2d[..., root_index, :]
    centred = keypoints_2d - root[..., None, :]
    scale = max_abs_coordinate(centred)
    if validate and bool((scale == 0).any()):
        flat = scale.reshape(-1)
        bad = (flat == 0).nonzero()
        bad = bad[0] if isinstance(bad, tuple) else bad.reshape(-1)
        raise ValueError(
            'degenerate 2D pose(s): every joint coincides with the root, so '
            f'the normalising scale is 0 (flat pose indices {bad.tolist()})')
    normalised = centred / scale[..., None, None]
    return normalised, scale, root

