"""The checked (B, 16, 2) input of every TIPSy lifter."""
import torch

from .networks import NUM_INPUT_JOINTS


def _pose_indices(mask: torch.Tensor, limit=10):
    """'[0, 3, 7]' (at most ``limit`` shown) for a (B,) boolean mask."""
    bad = mask.nonzero().flatten().tolist()
    shown = ', '.join(map(str, bad[:limit]))
    return f'[{shown}{", ..." if len(bad) > limit else ""}] ({len(bad)} of ' \
        f'{mask.numel()})'


def lifter_input_2d(inputs, validate: bool = True) -> torch.Tensor:
    """The (B, 16, 2) normalised 2D poses in a batch, checked.

    Accepts what ``PackPoseInputs`` with ``TIPSyLiftingCodec`` gives (a list
    of (1, 16, 2) tensors, or their stack (B, 1, 16, 2)), MMPose's
    (B, 16, 2, 1) keypoint-channel-time layout, and plain (B, 16, 2).

    Raises:
        ValueError: naming the problem: wrong type, a sequence of more than
            one frame, a wrong keypoint count or layout, NaN or infinite
            coordinates, or an all-zero pose.
    """
    if isinstance(inputs, (list, tuple)):
        if not inputs:
            raise ValueError('empty batch: no 2D poses given')
        inputs = torch.stack(list(inputs))
    if not isinstance(inputs, torch.Tensor):
        raise ValueError(f'2D poses must be a tensor, got {type(inputs)}')
    shape = tuple(inputs.shape)
    if inputs.dim() == 4:
        if shape[1] == 1:  # (B, T=1, K, C) from PackPoseInputs
            inputs = inputs[:, 0]
        elif shape[-1] == 1:  # (B, K, C, T=1)
            inputs = inputs[..., 0]
        else:
            raise ValueError(
                f'wrong layout {shape}: TIPSy lifts single frames, expected '
                f'(B, {NUM_INPUT_JOINTS}, 2), (B, 1, {NUM_INPUT_JOINTS}, 2) '
                f'or (B, {NUM_INPUT_JOINTS}, 2, 1)')
    if inputs.dim() != 3:
        raise ValueError(f'wrong layout {shape}: expected 2D poses of shape '
                         f'(B, {NUM_INPUT_JOINTS}, 2)')
    if inputs.shape[1] == 2 and inputs.shape[2] == NUM_INPUT_JOINTS:
        raise ValueError(
            f'wrong layout {shape}: coordinates first; expected (B, '
            f'{NUM_INPUT_JOINTS}, 2) with (x, y) in the last dimension')
    if inputs.shape[2] != 2:
        raise ValueError(f'wrong layout {shape}: expected 2 coordinates (x, '
                         f'y) per keypoint, got {inputs.shape[2]}')
    if inputs.shape[1] != NUM_INPUT_JOINTS:
        raise ValueError(
            f'wrong keypoint count: expected {NUM_INPUT_JOINTS} keypoints '
            f'(the 17 Human3.6M joints without the root), got '
            f'{inputs.shape[1]} (shape {shape})')
    if not inputs.is_floating_point():
        inputs = inputs.float()
    if validate:
        per_pose = inputs.flatten(1)
        finite = torch.isfinite(per_pose).all(1)
        zero = (per_pose == 0).all(1)
        # one host sync on the good path; details only for a bad batch
        if bool((~finite | zero).any()):
            nan = torch.isnan(per_pose).any(1)
            if nan.any():
                raise ValueError('NaN coordinates in 2D pose(s) '
                                 f'{_pose_indices(nan)}')
            inf = torch.isinf(per_pose).any(1)
            if inf.any():
                raise ValueError('infinite coordinates in 2D pose(s) '
                                 f'{_pose_indices(inf)}')
            raise ValueError('all-zero 2D pose(s) (every keypoint at the '
                             f'root): {_pose_indices(zero)}')
    return inputs
