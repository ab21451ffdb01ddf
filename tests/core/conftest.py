"""Toy poses and oracle lifters shared by the core tests."""
import math

import pytest
import torch

from tipsy_gan.core.networks import ALL_POSITIONS, LEG_POSITIONS, TORSO_POSITIONS

# The tensors here are tiny: one thread is fastest, and OpenMP threads that
# spin-wait stall badly when the cores are shared with other jobs.
torch.set_num_threads(1)

# A standing person facing the camera, metres, MMPose H36M order; camera axes
# x right, y down, z away from the camera. Knees slightly forward (−z).
TEMPLATE_17 = ((0.0, 0.0, 0.0), (-0.13, 0.0, 0.0), (-0.13, 0.45, -0.06),
               (-0.13, 0.9, 0.0), (0.13, 0.0, 0.0), (0.13, 0.45, -0.06),
               (0.13, 0.9, 0.0), (0.0, -0.25, 0.0), (0.0, -0.5, 0.0),
               (0.0, -0.6, 0.0), (0.0, -0.72, 0.0), (0.17, -0.5, 0.0),
               (0.2, -0.25, 0.02), (0.2, -0.02, -0.05), (-0.17, -0.5, 0.0),
               (-0.2, -0.25, 0.02), (-0.2, -0.02, -0.05))


def make_toy_poses(n, seed=0, noise=0.02, dtype=torch.float64):
    """n plausible root-centred poses seen from random azimuths.

    Returns (pose_2d (n, 16, 2), pose_3d (n, 16, 3)): orthographic 2D, max-
    normalised so max |coord| = 1, and the 3D pose scaled by the same factor.
    """
    g = torch.Generator().manual_seed(seed)
    template = torch.tensor(TEMPLATE_17, dtype=dtype)
    pose = template.expand(
        n, 17, 3) + noise * torch.randn(n, 17, 3, generator=g, dtype=dtype)
    pose = pose - pose[:, :1]
    azimuth = (torch.rand(n, generator=g, dtype=dtype) * 2 - 1) * math.pi
    elevation = (torch.rand(n, generator=g, dtype=dtype) * 2 - 1) * 0.2
    from tipsy_gan.core.geometry import rotate, rotation_matrix
    pose = rotate(pose, rotation_matrix(azimuth, elevation))[:, 1:]
    scale = pose[..., :2].abs().flatten(1).max(1).values.reshape(-1, 1, 1)
    pose = pose / scale
    return pose[..., :2].contiguous(), pose.contiguous()


class OracleLifter(torch.nn.Module):
    """Knows the 3D shapes of the batch; recovers any orthographic view's depth.

    For input row i it uses shape i mod B: it fits the 2×3 matrix A with
    Y = X A^T by least squares, completes its rows to a rotation (scaled by
    |row 1|, so max-normalised views work too) and returns the third row · X.
    ``sign=-1`` gives the depth-mirrored oracle.
    """

    def __init__(self, poses_3d, parts=None, sign=1.0):
        super().__init__()
        self.register_buffer('poses_3d', poses_3d)
        self.parts = parts or {'legs': LEG_POSITIONS, 'torso': TORSO_POSITIONS}
        self.sign = sign

    def forward(self, pose_2d):
        shapes = self.poses_3d.repeat(pose_2d.shape[0] // len(self.poses_3d),
                                      1, 1).to(pose_2d.dtype)
        a_t = torch.linalg.lstsq(shapes, pose_2d).solution  # (n, 3, 2)
        r1, r2 = a_t[..., 0], a_t[..., 1]
        r3 = torch.linalg.cross(r1, r2, dim=-1) / r1.norm(dim=-1, keepdim=True)
        return self.sign * (shapes @ r3.unsqueeze(-1)).squeeze(-1)


class ConstantLifter(torch.nn.Module):
    """Predicts depth 0 everywhere."""

    parts = {'pose': ALL_POSITIONS}

    def forward(self, pose_2d):
        return pose_2d.new_zeros(pose_2d.shape[:2])


@pytest.fixture
def toy_poses():
    return make_toy_poses(32)
