"""The label-free per-part sign chooser (issue 18, item 2)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from tipsy_gan.core.adversarial_step import AdversarialConfig
from tipsy_gan.core.geometry import rotate
from tipsy_gan.core.networks import (LEG_POSITIONS, TORSO_POSITIONS,
                                     PoseDiscriminator)
from tipsy_gan.core.priors import FacingPrior, KneeBendPrior
from tipsy_gan.core.sign_choice import (PartSignChooser, fixed_views,
                                        part_sign_patterns,
                                        per_pose_prior_loss)

from conftest import make_toy_poses

PARTS = {'legs': LEG_POSITIONS, 'torso': TORSO_POSITIONS}


@pytest.fixture(scope='module')
def real_poses(converted_h36m):
    """(2000, 16, 3) root-relative S9/S11 poses (metres), signs known."""
    with np.load(converted_h36m / 'annotation_body3d' / 'fps10' /
                 'h36m_test.npz') as data:
        poses = data['S'][::45, :, :3][:2000].astype(np.float64)
    poses = poses - poses[:, :1]
    return torch.from_numpy(poses[:, 1:])


def test_patterns_negate_each_part_by_its_bit():
    patterns = part_sign_patterns(PARTS)
    assert patterns.shape == (4, 16)
    assert (patterns[0] == 1).all() and (patterns[3] == -1).all()
    assert (patterns[1, list(LEG_POSITIONS)] == -1).all()
    assert (patterns[1, list(TORSO_POSITIONS)] == 1).all()
    assert (patterns[2, list(TORSO_POSITIONS)] == -1).all()
    assert part_sign_patterns({'pose': tuple(range(16))}).shape == (2, 16)


def test_per_pose_prior_loss_is_each_pose_scored_alone():
    _, poses = make_toy_poses(6)
    poses[2, :, 2] *= -1  # one mirrored pose: its knee and nose terms fire
    priors = (KneeBendPrior(2.0), FacingPrior(0.5))
    got = per_pose_prior_loss(priors, poses)
    want = torch.stack([
        sum(p.weight * p(pose[None]) for p in priors) for pose in poses])
    assert torch.allclose(got, want)
    assert got[2] > 0 and got[0] == 0


def test_the_chooser_recovers_signs_flipped_on_purpose(real_poses):
    """Each real pose gets a random one of the 4 leg/torso sign flips; the
    default priors (knee, facing, nose) undo it for 99 % of them (measured
    99.3 %; knee and facing alone: 68.6 %)."""
    patterns = part_sign_patterns(PARTS, dtype=real_poses.dtype)
    flips = torch.randint(0, 4, (len(real_poses), ),
                          generator=torch.Generator().manual_seed(0))
    depth = real_poses[..., 2] * patterns[flips]
    chooser = PartSignChooser(rotations=0, discriminator_weight=0.0)
    chosen, codes = chooser.choose(real_poses[..., :2], depth, PARTS,
                                   AdversarialConfig())
    assert float((codes == flips).double().mean()) > 0.99
    recovered = torch.isclose(chosen, real_poses[..., 2]).all(-1)
    assert float(recovered.double().mean()) > 0.99
    knee_and_facing = PartSignChooser(
        rotations=0, discriminator_weight=0.0,
        priors=(KneeBendPrior(1.0), FacingPrior(1.0)))
    _, codes = knee_and_facing.choose(real_poses[..., :2], depth, PARTS,
                                      AdversarialConfig())
    assert float((codes == flips).double().mean()) < 0.8


def test_the_discriminator_term_is_minus_log_d_over_the_fixed_views():
    torch.manual_seed(0)
    pose_2d, pose_3d = make_toy_poses(5, dtype=torch.float32)
    depth = pose_3d[..., 2]
    d = PoseDiscriminator(width=32).train()
    config = AdversarialConfig(renormalize_views=True)
    chooser = PartSignChooser(rotations=4, priors=())
    scores = chooser.scores(pose_2d, depth, PARTS, config, d)
    assert d.training  # its mode is restored
    patterns = part_sign_patterns(PARTS)
    d.eval()
    for code in range(4):
        pose = torch.cat((pose_2d, (depth * patterns[code])[..., None]), -1)
        terms = []
        for rotation in fixed_views(4, chooser.elevation):
            view = rotate(pose, rotation)[..., :2]
            view = view / view.abs().amax(dim=(-2, -1), keepdim=True)
            terms.append(F.softplus(-d(view)))
        assert torch.allclose(scores[code], torch.stack(terms).mean(0),
                              atol=1e-5)
    again = chooser.scores(pose_2d, depth, PARTS, config, d)
    assert torch.equal(scores, again)  # fixed views: deterministic


def test_chunks_give_the_same_choice_as_one_pass(real_poses):
    depth = real_poses[..., 2].clone()
    depth[::3] *= -1
    one = PartSignChooser(rotations=0, discriminator_weight=0.0)
    small = PartSignChooser(rotations=0, discriminator_weight=0.0,
                            max_poses=7)
    args = (real_poses[:50, :, :2], depth[:50], PARTS, AdversarialConfig())
    assert torch.equal(one.choose(*args)[1], small.choose(*args)[1])


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match='rotations'):
        PartSignChooser(rotations=-1)
    with pytest.raises(ValueError, match='rotations >= 1'):
        PartSignChooser(rotations=0, discriminator_weight=1.0)
    chooser = PartSignChooser(rotations=2)
    pose_2d, pose_3d = make_toy_poses(3, dtype=torch.float32)
    with pytest.raises(ValueError, match='needs the discriminator'):
        chooser.choose(pose_2d, pose_3d[..., 2], PARTS, AdversarialConfig())
    with pytest.raises(ValueError, match='do not match'):
        chooser.choose(pose_2d, pose_3d[:2, :, 2], PARTS,
                       AdversarialConfig(), PoseDiscriminator(width=8))
