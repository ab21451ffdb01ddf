"""The demos' lifting path on core functions only (no mmpose).

``tipsy_gan.apis.lifting.lift_h36m`` lifts (N, 17, 2) Human3.6M keypoints
with an MMPose ``PoseLifter``, through ``core.inference.lift_h36m_keypoints``
(the codec's encoding, the lifter's (x, y, ẑ), the codec's decoding).
:func:`lift_h36m` does the same with a plain ``ResidualLifter``, e.g. a
student loaded with :func:`load_exported_student` or taken from a training
checkpoint with :func:`student_from_state_dict`.
"""
import re

import numpy as np
import torch

from ..core.inference import lift_h36m_keypoints
from ..core.networks import NUM_INPUT_JOINTS, ResidualLifter

EXPORTED_PREFIX = 'backbone.lifter.'


def _numpy_globals():
    """What ``torch.load(weights_only=True)`` needs for the NumPy arrays in
    an exported checkpoint's dataset_meta."""
    import codecs
    try:
        multiarray = np._core.multiarray  # numpy >= 2
    except AttributeError:  # pragma: no cover - numpy 1.x
        multiarray = np.core.multiarray
    dtypes = [type(np.dtype(t)) for t in (
        np.float16, np.float32, np.float64, np.int8, np.int16, np.int32,
        np.int64, np.uint8, np.bool_, np.str_, np.object_)]
    return [codecs.encode, bytes, multiarray._reconstruct, multiarray.scalar,
            np.ndarray, np.dtype, *dtypes]


def _architecture(state_dict, prefix):
    width = state_dict[prefix + 'net.stem.0.weight'].shape[0]
    blocks = {int(m.group(1)) for k in state_dict
              for m in [re.match(re.escape(prefix) + r'net\.blocks\.(\d+)\.',
                                 k)] if m}
    return int(width), len(blocks)


def student_from_state_dict(state_dict, prefix='student.',
                            activation='leaky_relu', dropout=0.0
                            ) -> ResidualLifter:
    """A ``ResidualLifter`` holding the ``prefix`` entries of a state dict."""
    width, num_blocks = _architecture(state_dict, prefix)
    lifter = ResidualLifter(NUM_INPUT_JOINTS, NUM_INPUT_JOINTS, width,
                            num_blocks, activation, dropout)
    weights = {k[len(prefix):]: v.float() if v.is_floating_point() else v
               for k, v in state_dict.items() if k.startswith(prefix)}
    lifter.load_state_dict(weights)
    return lifter.eval()


def load_exported_student(path) -> ResidualLifter:
    """The student of a ``tools/export_student.py`` file (e.g. the published
    ``projects/tipsy_gan/checkpoints/tipsy_h36m_cpu_student.pth``)."""
    with torch.serialization.safe_globals(_numpy_globals()):
        checkpoint = torch.load(str(path), map_location='cpu',
                                weights_only=True)
    backbone = checkpoint.get('meta', {}).get('backbone', {})
    return student_from_state_dict(
        checkpoint['state_dict'], EXPORTED_PREFIX,
        backbone.get('activation', 'leaky_relu'),
        float(backbone.get('dropout', 0.0)))


@torch.no_grad()
def lift_h36m(student: torch.nn.Module, keypoints_h36m: torch.Tensor
              ) -> torch.Tensor:
    """(N, 17, 3) root-relative 3D in the 2D poses' pixel units from (N, 17,
    2) Human3.6M keypoints (root = pelvis, index 0), where they and the
    student are: ``apis.lifting.lift_h36m``'s computation."""
    was_training = student.training
    student.eval()
    try:
        return lift_h36m_keypoints(
            lambda pose_2d: torch.cat(
                [pose_2d, student(pose_2d).unsqueeze(-1)], dim=-1),
            keypoints_h36m)
    finally:
        student.train(was_training)
