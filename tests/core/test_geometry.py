import math

import pytest
import torch

from tipsy_gan.core import geometry


def _rotations(n=2000, seed=0, dtype=torch.float64):
    return geometry.random_rotation(n,
                                    torch.Generator().manual_seed(seed),
                                    dtype=dtype)


def test_random_rotations_are_proper_orthonormal():
    r = _rotations()
    eye = torch.eye(3, dtype=r.dtype).expand_as(r)
    assert torch.allclose(r @ r.transpose(-1, -2), eye, atol=1e-12)
    assert torch.allclose(torch.linalg.det(r), torch.ones(len(r),
                                                          dtype=r.dtype))


def test_rotation_angles_stay_in_the_paper_ranges_and_cover_them():
    azimuth, elevation = geometry.random_rotation_angles(
        20000, torch.Generator().manual_seed(1), dtype=torch.float64)
    assert azimuth.abs().max() <= math.pi
    assert elevation.abs().max() <= math.pi / 18
    # Uniform: the extremes come close to the bounds, the means near 0.
    assert azimuth.min() < -0.99 * math.pi and azimuth.max() > 0.99 * math.pi
    assert elevation.abs().max() > 0.99 * math.pi / 18
    assert abs(float(azimuth.mean())) < 0.05


def test_rotation_matrix_encodes_the_sampled_angles():
    # R = R_x(e) R_y(a): R[2, 1] = sin e and (R[0, 0], R[0, 2]) = (cos a, −sin a).
    r = _rotations(seed=3)
    azimuth, elevation = geometry.random_rotation_angles(
        2000, torch.Generator().manual_seed(3), dtype=torch.float64)
    assert torch.allclose(torch.asin(r[:, 2, 1]), elevation, atol=1e-12)
    assert torch.allclose(torch.atan2(-r[:, 0, 2], r[:, 0, 0]),
                          azimuth,
                          atol=1e-12)
    assert r[:, 2, 1].abs().max() <= math.sin(math.pi / 18) + 1e-12


def test_same_seed_same_rotations_different_seed_different():
    assert torch.equal(_rotations(seed=5), _rotations(seed=5))
    assert not torch.allclose(_rotations(seed=5), _rotations(seed=6))


def test_rotate_then_inverse_is_identity():
    r = _rotations(64)
    points = torch.randn(64, 16, 3, dtype=torch.float64)
    rotated = geometry.rotate(points, r)
    assert not torch.allclose(rotated, points)
    back = geometry.rotate(rotated, geometry.invert_rotation(r))
    assert torch.allclose(back, points, atol=1e-12)


def test_rotate_matches_matrix_times_column_vector():
    r = _rotations(4)
    points = torch.randn(4, 5, 3, dtype=torch.float64)
    expected = torch.einsum('bij,bkj->bki', r, points)
    assert torch.allclose(geometry.rotate(points, r), expected)


def test_orthographic_projection_drops_depth():
    points = torch.randn(3, 16, 3)
    assert torch.equal(geometry.Orthographic().project(points),
                       points[..., :2])


def test_lift_to_3d_concatenates():
    xy, z = torch.randn(2, 16, 2), torch.randn(2, 16)
    pose = geometry.lift_to_3d(xy, z)
    assert pose.shape == (2, 16, 3)
    assert torch.equal(pose[..., :2], xy) and torch.equal(pose[..., 2], z)


def test_quarter_turn_maps_x_y_z_to_z_y_minus_x_and_four_are_identity():
    points = torch.randn(4, 16, 3, dtype=torch.float64)
    x, y, z = points.unbind(-1)
    one = geometry.rotate_quarter_turns_about_y(points, 1)
    assert torch.equal(one, torch.stack((z, y, -x), -1))
    assert torch.equal(geometry.rotate_quarter_turns_about_y(points, 2),
                       torch.stack((-x, y, -z), -1))
    assert torch.equal(geometry.rotate_quarter_turns_about_y(points, 3),
                       torch.stack((-z, y, x), -1))
    turned = points
    for _ in range(4):
        turned = geometry.rotate_quarter_turns_about_y(turned, 1)
    assert torch.equal(turned, points)
    # It is the appendix's R_θ at θ = −90°.
    r = geometry.rotation_about_y(
        torch.tensor([-math.pi / 2], dtype=torch.float64))
    assert torch.allclose(geometry.rotate(points, r.expand(4, 3, 3)),
                          one,
                          atol=1e-12)


def test_perspective_keeps_root_depth_joints_and_converges_to_orthographic():
    xy = torch.rand(8, 16, 2, dtype=torch.float64) * 2 - 1
    z = torch.rand(8, 16, dtype=torch.float64) * 2 - 1
    flat = geometry.lift_to_3d(xy, torch.zeros_like(z))
    assert torch.allclose(geometry.Perspective(10.0).project(flat), xy)
    errors = []
    for offset in (10.0, 100.0, 1000.0):
        projected = geometry.Perspective(offset).project(
            geometry.lift_to_3d(xy, z))
        errors.append(float((projected - xy).abs().max()))
    # Relative error about |z| / d: at most 1/(d − 1) for |z|, |xy| ≤ 1.
    assert errors[0] < 1 / 9 and errors[2] < 1.01e-3
    assert errors[0] > errors[1] > errors[2]


def test_perspective_back_projection_round_trip():
    xy = torch.randn(8, 16, 2, dtype=torch.float64)
    z = torch.rand(8, 16, dtype=torch.float64) * 2 - 1
    camera = geometry.Perspective(5.0)
    points = camera.back_project(xy, z)
    assert torch.equal(points[..., 2], z)
    assert torch.allclose(camera.project(points), xy, atol=1e-12)
    # Farther joints need a larger 3D extent to cover the same 2D.
    assert torch.all((points[..., 0].abs() > xy[..., 0].abs()) == (z > 0))


def test_a_camera_behind_the_root_is_an_error():
    with pytest.raises(ValueError, match='depth_offset'):
        geometry.Perspective(0.0)
