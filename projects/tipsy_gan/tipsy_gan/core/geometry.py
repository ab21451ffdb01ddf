"""Rotations, projections and lifting for root-centred poses (paper §3.2–3.3).

Conventions
-----------
* Poses are root-relative: the root sits at the origin and is left out, so a
  2D pose is ``(..., J, 2)`` and a 3D pose ``(..., J, 3)`` over the non-root
  joints. Rotations are about the origin, so the root stays at the origin.
* Camera axes: x right, y down (image rows), z away from the camera. This
  frame is right-handed (x × y = z).
* Rotation matrices act on column vectors; ``rotate`` applies them to the
  row-vector points as ``points @ R^T``.
"""
import math

import torch

MAX_AZIMUTH = math.pi  # §3.2: azimuth ~ U[-π, π]
MAX_ELEVATION = math.pi / 18  # §3.2: elevation ~ U[-π/18, π/18]


def uniform(shape, low, high, rng=None, device=None, dtype=torch.float32):
    """U[low, high) samples drawn with ``rng`` (a ``torch.Generator`` or None
    for the global one), returned on ``device``.

    Numbers are drawn on the generator's own device; pass one that lives on
    the data's device to avoid a host-to-device copy.
    """
    draw_device = rng.device if rng is not None else device
    u = torch.rand(shape, generator=rng, device=draw_device, dtype=dtype)
    return (low + (high - low) * u).to(device)


def rotation_about_y(angle):
    """(B, 3, 3) rotations about the vertical y axis (azimuth), as in eq. 10.

    ``[[cos, 0, -sin], [0, 1, 0], [sin, 0, cos]]``
    """
    c, s = torch.cos(angle), torch.sin(angle)
    one, zero = torch.ones_like(angle), torch.zeros_like(angle)
    rows = (c, zero, -s, zero, one, zero, s, zero, c)
    return torch.stack(rows, dim=-1).reshape(angle.shape + (3, 3))


def rotation_about_x(angle):
    """(B, 3, 3) rotations about the horizontal x axis (elevation)."""
    c, s = torch.cos(angle), torch.sin(angle)
    one, zero = torch.ones_like(angle), torch.zeros_like(angle)
    rows = (one, zero, zero, zero, c, -s, zero, s, c)
    return torch.stack(rows, dim=-1).reshape(angle.shape + (3, 3))


def rotation_matrix(azimuth, elevation):
    """R = R_x(elevation) @ R_y(azimuth): turn the body about its vertical
    axis, then tilt the view up or down."""
    return rotation_about_x(elevation) @ rotation_about_y(azimuth)


def random_rotation_angles(batch_size,
                           rng=None,
                           device=None,
                           dtype=torch.float32,
                           max_azimuth=MAX_AZIMUTH,
                           max_elevation=MAX_ELEVATION):
    """Per-sample (azimuth, elevation), uniform in [-max, max] (§3.2)."""
    azimuth = uniform((batch_size, ), -max_azimuth, max_azimuth, rng, device,
                      dtype)
    elevation = uniform((batch_size, ), -max_elevation, max_elevation, rng,
                        device, dtype)
    return azimuth, elevation


def random_rotation(batch_size,
                    rng=None,
                    device=None,
                    dtype=torch.float32,
                    max_azimuth=MAX_AZIMUTH,
                    max_elevation=MAX_ELEVATION):
    """(B, 3, 3) random rotations R of §3.2, one per sample."""
    azimuth, elevation = random_rotation_angles(batch_size, rng, device, dtype,
                                                max_azimuth, max_elevation)
    return rotation_matrix(azimuth, elevation)


def invert_rotation(rotation):
    """R^-1 = R^T for a rotation matrix."""
    return rotation.transpose(-1, -2)


def rotate(points, rotation):
    """Rotate (B, J, 3) points by (B, 3, 3) matrices about the origin."""
    return points @ rotation.transpose(-1, -2)


def rotate_quarter_turns_about_y(points, turns):
    """Rotate (..., 3) points by ``turns`` × 90° about y, as in §3.3.

    One turn is the paper's "90° clockwise" rotation (x, y, z) → (z, y, −x)
    (the appendix's R_θ with θ = −90°); two turns give (−x, y, −z); three give
    (−z, y, x). Exact (no trigonometry), so four turns are the identity.
    """
    x, y, z = points.unbind(-1)
    turns = turns % 4
    if turns == 0:
        return points
    if turns == 1:
        return torch.stack((z, y, -x), dim=-1)
    if turns == 2:
        return torch.stack((-x, y, -z), dim=-1)
    return torch.stack((-z, y, x), dim=-1)


def lift_to_3d(xy, z):
    """Concatenate 2D (..., J, 2) and depth (..., J) into (..., J, 3)."""
    return torch.cat((xy, z.unsqueeze(-1)), dim=-1)


class Orthographic:
    """P of the paper (§3.2): drop z. Its inverse puts the depth beside the
    2D, so ``back_project(project(p), p_z) == p``."""

    def project(self, points):
        """(..., J, 3) camera-frame points to (..., J, 2)."""
        return points[..., :2]

    def back_project(self, xy, z):
        """The (..., J, 3) points that project to ``xy`` at depths ``z``."""
        return lift_to_3d(xy, z)

    def __repr__(self):
        return 'Orthographic()'


class Perspective:
    """Pinhole P with the root ``depth_offset`` in front of the camera
    (Chen et al. 2019; ElePose), in the units of the normalised pose.

    The root-relative pose is shifted to z + d, x and y are divided by the
    shifted depth and multiplied by d, so that

        (x, y, z) -> (x, y) * d / (z + d).

    The factor d keeps the units of the input 2D: a joint at the root's depth
    projects to itself. As d -> inf this becomes ``Orthographic``. z + d is
    clamped at ``min_relative_depth`` * d, so a joint behind the camera cannot
    blow up the projection; both directions use the same clamped factor, so
    ``back_project`` is always the exact inverse (the true pinhole inverse
    while z + d > min_relative_depth * d).
    """

    def __init__(self, depth_offset=10.0, min_relative_depth=0.1):
        if depth_offset <= 0:
            raise ValueError(f'depth_offset must be > 0, got {depth_offset}')
        self.depth_offset = float(depth_offset)
        self.min_relative_depth = float(min_relative_depth)

    def scale(self, z):
        """d / (z + d), with the clamp."""
        distance = torch.clamp(z + self.depth_offset,
                               min=self.min_relative_depth * self.depth_offset)
        return self.depth_offset / distance

    def project(self, points):
        xy, z = points[..., :2], points[..., 2]
        return xy * self.scale(z).unsqueeze(-1)

    def back_project(self, xy, z):
        return lift_to_3d(xy / self.scale(z).unsqueeze(-1), z)

    def __repr__(self):
        return f'Perspective(depth_offset={self.depth_offset})'
