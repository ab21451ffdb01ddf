import math

import numpy as np
import pytest
import torch

from tipsy_gan.core import depth_flip
from tipsy_gan.core.pose_metrics import mirror_depth

from conftest import make_toy_poses


def mirrored(pose):
    """(B, 17, 3) tensor: ``pose`` (16 or 17 joints) mirrored in depth."""
    return torch.as_tensor(mirror_depth(depth_flip.with_root(pose).numpy()))


def test_with_root():
    _, pose = make_toy_poses(8)
    full = depth_flip.with_root(pose)
    assert full.shape == (8, 17, 3) and not full[:, 0].any()
    assert torch.equal(full[:, 1:], pose)
    assert depth_flip.with_root(full) is full


def test_toy_poses_have_forward_knees_and_mirroring_reverses_them():
    _, pose = make_toy_poses(256)
    assert float(depth_flip.knees_forward_share(pose)) == 1.0
    flipped = mirrored(pose)
    assert float(depth_flip.knees_forward_share(flipped)) == 0.0
    # Joint noise bends a few single knees back slightly; mirrored, all are.
    assert float(depth_flip.knee_bend_prior_loss(flipped)) > 20 * float(
        depth_flip.knee_bend_prior_loss(pose))
    straight = make_toy_poses(8, noise=0.0)[1]
    assert float(depth_flip.knee_bend_prior_loss(straight)) == 0.0
    # Mirroring negates the offsets exactly.
    assert torch.allclose(depth_flip.knee_forward_offsets(flipped),
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
    assert float(depth_flip.knees_forward_share(mirrored(pose))) == 0.0


def test_facing_agreement_detects_one_mirrored_part():
    _, pose = make_toy_poses(512)
    assert float(depth_flip.facing_agreement_share(pose)) == 1.0
    # A global flip keeps shoulders and hips aligned …
    assert float(depth_flip.facing_agreement_share(mirrored(pose))) == 1.0
    assert float(depth_flip.shoulder_hip_facing_loss(pose)) == 0.0
    # … mirroring only the torso (positions 6–15) does not, seen from the side.
    torso_mirrored = pose.clone()
    torso_mirrored[:, 6:, 2] *= -1
    share = float(depth_flip.facing_agreement_share(torso_mirrored))
    assert share < 0.8
    assert float(depth_flip.shoulder_hip_facing_loss(torso_mirrored)) > 0


# ---------------------------------------- priors tested on real poses
@pytest.fixture(scope='module')
def real_poses(converted_h36m):
    """(2000, 16, 3) root-relative S9/S11 poses in camera axes (metres):
    poses whose depth sign is known."""
    with np.load(converted_h36m / 'annotation_body3d' / 'fps10' /
                 'h36m_test.npz') as data:
        poses = data['S'][::45, :, :3][:2000].astype(np.float64)
    poses = poses - poses[:, :1]
    return torch.from_numpy(poses[:, 1:])


def test_the_nose_prior_tells_real_poses_from_their_mirror(real_poses):
    sine = depth_flip.nose_forward_sine(real_poses)
    assert float((sine > 0).double().mean()) > 0.99
    flipped = mirrored(real_poses)
    assert torch.allclose(depth_flip.nose_forward_sine(flipped), -sine)
    assert float((depth_flip.nose_forward_sine(flipped) < 0).double().mean()
                 ) > 0.99
    assert float(depth_flip.nose_forward_loss(flipped)) > 50 * float(
        depth_flip.nose_forward_loss(real_poses))


def test_the_hip_prior_is_a_shape_prior_blind_to_the_flip(real_poses):
    # the converted data's hips are in line through the root
    assert float(depth_flip.hip_collinearity_loss(real_poses)) < 1e-6
    assert float(depth_flip.hip_collinearity_loss(
        mirrored(real_poses))) < 1e-6
    bent = real_poses.clone()
    bent[:, 0, 2] += 0.05  # the right hip 5 cm deeper
    assert float(depth_flip.hip_collinearity_loss(bent)) > 0.01


def test_the_hands_prior_tells_real_poses_from_their_mirror(real_poses):
    sines = depth_flip.hand_forward_sines(real_poses)
    flipped = mirrored(real_poses)
    assert torch.allclose(depth_flip.hand_forward_sines(flipped), -sines,
                          atol=1e-6)
    margin = depth_flip.HANDS_BEHIND_MARGIN
    # Few real hands are far behind their shoulder; mirrored, most are.
    assert float((sines < -margin).double().mean()) < 0.05
    assert float((-sines < -margin).double().mean()) > 0.5
    assert float(depth_flip.hands_forward_loss(flipped)) > 20 * float(
        depth_flip.hands_forward_loss(real_poses))
    # A torso mirrored alone (the split's failure) puts the hands behind.
    torso_only = depth_flip.with_root(real_poses).clone()
    torso_only[:, 7:, 2] *= -1
    assert float(depth_flip.hands_forward_loss(torso_only)) > 10 * float(
        depth_flip.hands_forward_loss(real_poses))


def test_new_priors_are_registered_pieces():
    import tipsy_gan.mmpose_modules  # noqa: F401
    from mmpose.registry import MODELS
    nose = MODELS.build(dict(type='NoseForwardPrior', weight=1.0))
    hands = MODELS.build(dict(type='HandsForwardPrior', weight=3.0,
                              margin=0.1))
    assert (hands.joints, hands.weight, hands.margin) == ((12, 13, 15, 16),
                                                          3.0, 0.1)
    hips = MODELS.build(dict(type='HipCollinearityPrior', weight=10.0))
    assert nose.joints == (8, 9, 11, 14) and hips.joints == (1, 4)
    assert hips.weight == 10.0
