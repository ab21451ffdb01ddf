import math

import numpy as np
import pytest
import torch

from tipsy_gan.core import depth_flip, geometry

from conftest import make_toy_poses


def test_with_root_and_mirror_depth():
    _, pose = make_toy_poses(8)
    full = depth_flip.with_root(pose)
    assert full.shape == (8, 17, 3) and not full[:, 0].any()
    assert depth_flip.with_root(full) is full
    mirrored = depth_flip.mirror_depth(pose)
    assert torch.equal(mirrored[..., :2], pose[..., :2])
    assert torch.equal(mirrored[..., 2], -pose[..., 2])
    # A 17-joint pose away from the origin is mirrored about its root's depth.
    shifted = full + torch.tensor([0.5, -0.2, 5.0], dtype=full.dtype)
    back = depth_flip.mirror_depth(shifted) - shifted[:, :1]
    assert torch.allclose(back[..., 2], -full[..., 2])


def test_toy_poses_have_forward_knees_and_mirroring_reverses_them():
    _, pose = make_toy_poses(256)
    assert float(depth_flip.knees_forward_share(pose)) == 1.0
    mirrored = depth_flip.mirror_depth(pose)
    assert float(depth_flip.knees_forward_share(mirrored)) == 0.0
    # Joint noise bends a few single knees back slightly; mirrored, all are.
    assert float(depth_flip.knee_bend_prior_loss(mirrored)) > 20 * float(
        depth_flip.knee_bend_prior_loss(pose))
    straight = make_toy_poses(8, noise=0.0)[1]
    assert float(depth_flip.knee_bend_prior_loss(straight)) == 0.0
    # Mirroring negates the offsets exactly.
    assert torch.allclose(depth_flip.knee_forward_offsets(mirrored),
                          -depth_flip.knee_forward_offsets(pose))


def test_forward_direction_points_at_the_camera_for_a_frontal_pose():
    _, pose = make_toy_poses(64, noise=0.0)
    forward = depth_flip.body_forward_direction(pose)
    # Toy poses are turned by a random azimuth a; the frontal pose faces −z,
    # and R_y(a) turns (0, 0, −1) to (sin a, 0, −cos a): forward stays unit
    # and horizontal up to the small elevation.
    assert torch.allclose(forward.norm(dim=-1), torch.ones(64,
                                                           dtype=pose.dtype))
    assert forward[:, 1].abs().max() < math.sin(0.2) + 1e-9
    frontal = torch.tensor([[[-0.13, 0.0, 0.0], [-0.13, 0.45, -0.06],
                             [-0.13, 0.9, 0.0], [0.13, 0.0, 0.0],
                             [0.13, 0.45, -0.06], [0.13, 0.9, 0.0],
                             [0.0, -0.25, 0.0], [0.0, -0.5, 0.0],
                             [0.0, -0.6, 0.0], [0.0, -0.72, 0.0],
                             [0.17, -0.5, 0.0], [0.2, -0.25, 0.0],
                             [0.2, 0.0, 0.0], [-0.17, -0.5, 0.0],
                             [-0.2, -0.25, 0.0], [-0.2, 0.0, 0.0]]])
    assert torch.allclose(depth_flip.body_forward_direction(frontal),
                          torch.tensor([[0.0, 0.0, -1.0]]))


def test_knee_prior_on_real_h36m_poses(shared):
    """The MMPose fixture's four camera-frame poses bend their knees forward."""
    data = np.load(shared / 'data/mmpose_h36m_fixture/test_h36m_body3d.npz')
    pose = torch.as_tensor(data['S'][..., :3])
    assert float(depth_flip.knees_forward_share(pose)) == 1.0
    assert float(depth_flip.facing_agreement_share(pose)) == 1.0
    assert float(depth_flip.knees_forward_share(
        depth_flip.mirror_depth(pose))) == 0.0


def test_facing_agreement_detects_one_mirrored_part():
    _, pose = make_toy_poses(512)
    assert float(depth_flip.facing_agreement_share(pose)) == 1.0
    # A global flip keeps shoulders and hips aligned …
    assert float(
        depth_flip.facing_agreement_share(
            depth_flip.mirror_depth(pose))) == 1.0
    assert float(depth_flip.shoulder_hip_facing_loss(pose)) == 0.0
    # … mirroring only the torso (positions 6–15) does not, seen from the side.
    torso_mirrored = pose.clone()
    torso_mirrored[:, 6:, 2] *= -1
    share = float(depth_flip.facing_agreement_share(torso_mirrored))
    assert share < 0.8
    assert float(depth_flip.shoulder_hip_facing_loss(torso_mirrored)) > 0


@pytest.mark.parametrize('align', ['procrustes', 'none'])
def test_depth_mirrored_share(align):
    _, gt = make_toy_poses(64)
    assert float(depth_flip.depth_mirrored_share(gt, gt, align)) == 0.0
    mirrored = depth_flip.mirror_depth(gt)
    assert float(depth_flip.depth_mirrored_share(mirrored, gt, align)) == 1.0
    half = torch.cat((gt[:32], mirrored[32:]))
    mask = depth_flip.depth_mirrored_mask(half, gt, align)
    assert not mask[:32].any() and mask[32:].all()


def test_procrustes_share_ignores_rotation_and_scale_but_not_reflection():
    _, gt = make_toy_poses(64)
    rotation = geometry.random_rotation(64,
                                        torch.Generator().manual_seed(1),
                                        dtype=gt.dtype)
    pred = 3.0 * geometry.rotate(gt, rotation)
    assert torch.allclose(depth_flip.procrustes_errors(pred, gt),
                          torch.zeros(64, dtype=gt.dtype),
                          atol=1e-9)
    mirrored = 3.0 * geometry.rotate(depth_flip.mirror_depth(gt), rotation)
    assert float(depth_flip.depth_mirrored_share(mirrored, gt)) == 1.0
    assert float(depth_flip.depth_mirrored_share(pred, gt)) == 0.0
