import math

import pytest
import torch

from tipsy_gan.core import adversarial_step as step
from tipsy_gan.core import geometry, losses
from tipsy_gan.core import networks as nw
from tipsy_gan.core.priors import (FacingPrior, HipCollinearityPrior,
                                   KneeBendPrior, NoseForwardPrior)

from conftest import ConstantLifter, OracleLifter, make_toy_poses

PARTS = {'legs': nw.LEG_POSITIONS, 'torso': nw.TORSO_POSITIONS}


def _consistency(lifter, pose_2d, config, seed=0, rotation=None):
    views = step.lift_views(lifter, pose_2d, config,
                            torch.Generator().manual_seed(seed), rotation)
    reprojection = losses.reprojection_consistency_loss(
        pose_2d, views.cycled_2d, lifter.parts)
    ninety = losses.ninety_degree_consistency_loss(
        views.pose_3d, views.depth_from_clockwise_view,
        views.depth_from_anticlockwise_view, views.depth_from_half_turn_view,
        lifter.parts)
    return reprojection, ninety


@pytest.mark.parametrize('batch_views', [True, False])
@pytest.mark.parametrize('renormalize_views', [False, True])
def test_consistency_losses_vanish_for_an_oracle_and_not_for_flat_depth(
        toy_poses, batch_views, renormalize_views):
    pose_2d, pose_3d = toy_poses
    config = step.AdversarialConfig(batch_views=batch_views,
                                    renormalize_views=renormalize_views)
    for lifter in (OracleLifter(pose_3d), OracleLifter(pose_3d, sign=-1)):
        reprojection, ninety = _consistency(lifter, pose_2d, config)
        assert set(reprojection) == set(ninety) == {'legs', 'torso'}
        for value in list(reprojection.values()) + list(ninety.values()):
            assert value < 1e-20
    reprojection, ninety = _consistency(ConstantLifter(), pose_2d, config)
    assert reprojection['pose'] > 1e-3 and ninety['pose'] > 1e-3


class LinearLifter(torch.nn.Module):
    """G(x, y) = αx per joint: simple enough to compute the losses by hand."""

    parts = PARTS

    def __init__(self, alpha):
        super().__init__()
        self.alpha = alpha

    def forward(self, pose_2d):
        return self.alpha * pose_2d[..., 0]


def test_ninety_degree_losses_match_hand_computation():
    # ẑ = αx. Eq. 2: G(ẑ, y) + x = (α² + 1) x; eq. 3: G(−ẑ, y) − x =
    # −(α² + 1) x; eq. 4: G(x, y) + G(−x, y) = 0.
    alpha = 0.5
    pose_2d = torch.randn(4, 16, 2, dtype=torch.float64)
    _, ninety = _consistency(LinearLifter(alpha), pose_2d,
                             step.AdversarialConfig())
    x = pose_2d[..., 0]
    for name, positions in PARTS.items():
        expected = 2 * (alpha**2 + 1)**2 * x[:,
                                             list(positions)].square().mean()
        assert torch.allclose(ninety[name], expected)


def test_reprojection_loss_matches_hand_computation():
    # R = R_y(θ): the cycle maps x to x (cos²θ − α² sin²θ), so the loss is
    # mean over the part of x² sin⁴θ (1 + α²)².
    alpha, theta = 0.7, 0.6
    pose_2d = torch.randn(4, 16, 2, dtype=torch.float64)
    rotation = geometry.rotation_about_y(
        torch.full((4, ), theta, dtype=torch.float64))
    reprojection, _ = _consistency(LinearLifter(alpha),
                                   pose_2d,
                                   step.AdversarialConfig(),
                                   rotation=rotation)
    x = pose_2d[..., 0]
    factor = math.sin(theta)**4 * (1 + alpha**2)**2
    for name, positions in PARTS.items():
        expected = factor * x[:, list(positions)].square().mean()
        assert torch.allclose(reprojection[name], expected)


def _grads(module):
    return [p.grad for p in module.parameters()]


def _is_zero(grads):
    return all(g is None or not g.any() for g in grads)


CONFIGS = {
    'paper':
    step.AdversarialConfig(),
    'unbatched':
    step.AdversarialConfig(batch_views=False),
    'perspective_renormalized':
    step.AdversarialConfig(projection=geometry.Perspective(3.0),
                           renormalize_views=True),
}


@pytest.mark.parametrize('config', CONFIGS.values(), ids=CONFIGS.keys())
@pytest.mark.parametrize('kind', ['reprojection', 'ninety'])
@pytest.mark.parametrize('owner, other', [('torso', 'legs'),
                                          ('legs', 'torso')])
def test_part_losses_reach_only_their_own_generator(toy_poses, config, kind,
                                                    owner, other):
    torch.manual_seed(0)
    lifter = nw.PartSplitLifter(width=32).train()
    pose_2d = toy_poses[0].float()
    reprojection, ninety = _consistency(lifter, pose_2d, config)
    {'reprojection': reprojection, 'ninety': ninety}[kind][owner].backward()
    assert _is_zero(_grads(lifter.generators[other]))
    assert not _is_zero(_grads(lifter.generators[owner]))


def test_adversarial_gradient_is_weighted_per_part(toy_poses):
    torch.manual_seed(0)
    lifter = nw.PartSplitLifter(width=32).double().train()
    discriminator = nw.PoseDiscriminator(width=32).double().train()
    config = step.AdversarialConfig(w_reprojection=0.0, w_ninety=0.0)
    pose_2d = toy_poses[0]
    views = step.lift_views(lifter, pose_2d, config,
                            torch.Generator().manual_seed(0))
    out = step.generator_losses(lifter.parts, discriminator, views, config)
    legs = list(lifter.generators['legs'].parameters())
    torso = list(lifter.generators['torso'].parameters())
    got = torch.autograd.grad(out['loss'], legs + torso, retain_graph=True)
    # Reference: the plain L_adv on the same fake poses, weighted per part.
    adversarial = losses.adversarial_generator_loss(
        discriminator(views.fake_2d))
    assert torch.allclose(adversarial, out['g_adversarial'])
    want_legs = torch.autograd.grad(0.05 * adversarial,
                                    legs,
                                    retain_graph=True)
    want_torso = torch.autograd.grad(0.08 * adversarial, torso)
    for g, w in zip(got, want_legs + want_torso):
        assert torch.allclose(g, w, rtol=1e-9, atol=1e-15)
    assert torch.allclose(out['loss'], 0.13 * adversarial)
    assert torch.allclose(out['g_total_legs'], 0.05 * adversarial)
    # D is frozen in the generator step.
    assert _is_zero(_grads(discriminator))


@pytest.mark.parametrize('prior, owner, other', [
    (KneeBendPrior, 'legs', 'torso'),
    (FacingPrior, 'torso', 'legs'),
    (NoseForwardPrior, 'torso', 'legs'),
    (HipCollinearityPrior, 'legs', 'torso'),
])
def test_priors_reach_only_the_generator_they_belong_to(prior, owner, other):
    torch.manual_seed(0)
    lifter = nw.PartSplitLifter(width=32).train()
    config = step.AdversarialConfig(w_adversarial={
        'legs': 0,
        'torso': 0
    },
                                    w_reprojection=0.0,
                                    w_ninety=0.0,
                                    priors=(prior(1.0), ))
    # Random 2D: the untrained lifter violates both priors somewhere.
    pose_2d = torch.rand(64, 16, 2) * 2 - 1
    views = step.lift_views(lifter, pose_2d, config)
    out = step.generator_losses(lifter.parts, None, views, config)
    assert out['loss'] > 0
    out['loss'].backward()
    assert _is_zero(_grads(lifter.generators[other]))
    assert not _is_zero(_grads(lifter.generators[owner]))


class Mirrored(torch.nn.Module):
    """The same lifter with every depth's sign changed."""

    def __init__(self, lifter):
        super().__init__()
        self.lifter = lifter
        self.parts = lifter.parts

    def forward(self, pose_2d):
        return -self.lifter(pose_2d)


def _all_losses(lifter, discriminator, pose_2d, rotation, config):
    views = step.lift_views(lifter, pose_2d, config, rotation=rotation)
    d_out = step.discriminator_losses(discriminator, pose_2d, views.fake_2d,
                                      config.gan_loss,
                                      torch.Generator().manual_seed(7))
    g_out = step.generator_losses(lifter.parts, discriminator, views, config)
    return {**{'d_' + k: v for k, v in d_out.items()}, **g_out}


@pytest.mark.parametrize('projection', ['orthographic', 'perspective'])
def test_depth_flip_is_an_exact_symmetry_only_under_orthographic_projection(
        toy_poses, projection):
    """Predicting −ẑ with the mirrored rotation M R M (M = diag(1, 1, −1),
    equally likely under the symmetric angle ranges) gives exactly the same
    losses under orthographic projection: nothing in the paper's recipe
    decides the sign of the depth. Perspective projection breaks the tie."""
    torch.manual_seed(0)
    lifter = nw.PartSplitLifter(width=32).double().train()
    discriminator = nw.PoseDiscriminator(width=32).double().train()
    pose_2d = toy_poses[0]
    rotation = geometry.random_rotation(len(pose_2d),
                                        torch.Generator().manual_seed(3),
                                        dtype=torch.float64)
    mirror = torch.diag(torch.tensor([1.0, 1.0, -1.0], dtype=torch.float64))
    config = step.AdversarialConfig(projection=(
        geometry.Orthographic() if projection == 'orthographic' else
        geometry.Perspective(3.0)))
    plain = _all_losses(lifter, discriminator, pose_2d, rotation, config)
    flipped = _all_losses(Mirrored(lifter), discriminator, pose_2d,
                          mirror @ rotation @ mirror, config)
    assert plain.keys() == flipped.keys()
    same = {
        k: bool(torch.allclose(plain[k], flipped[k], rtol=1e-9, atol=1e-12))
        for k in plain
    }
    if projection == 'orthographic':
        assert all(same.values()), same
    else:
        assert not same['loss'] and not same['d_loss']
        assert not same['g_reprojection_torso'] and not same['g_ninety_legs']


def test_label_flipping_rate_is_five_percent():
    g = torch.Generator().manual_seed(0)
    n = 200_000
    for label in (0.0, 1.0):
        labels = torch.full((n, ), label)
        flipped = losses.flip_labels(labels, 0.05, g)
        assert set(flipped.unique().tolist()) <= {0.0, 1.0}
        rate = float((flipped != labels).float().mean())
        assert abs(rate - 0.05) < 0.002  # 4 standard deviations
    assert torch.equal(losses.flip_labels(labels, 0.0, g), labels)


def test_discriminator_loss_floor_with_label_flips():
    # With 5 % flips the best D says 0.95 / 0.05; its loss is 2 H(0.05).
    n = 200_000
    logit = math.log(0.95 / 0.05)
    value = sum(losses.discriminator_loss_terms(
        torch.full((n, ), logit), torch.full((n, ), -logit), 0.05,
        torch.Generator().manual_seed(0)))
    entropy = -(0.05 * math.log(0.05) + 0.95 * math.log(0.95))
    assert abs(float(value) - 2 * entropy) < 0.01
    no_flip = sum(losses.discriminator_loss_terms(torch.full((4, ), 20.0),
                                                  torch.full((4, ), -20.0),
                                                  0.0))
    assert float(no_flip) < 1e-8


def test_adversarial_generator_loss_is_non_saturating_bce():
    logits = torch.tensor([-8.0, 0.0, 3.0])
    expected = -torch.log(torch.sigmoid(logits)).mean()
    assert torch.allclose(losses.adversarial_generator_loss(logits), expected)
    # Gradient stays near −1/B per sample when D rejects the fake confidently.
    logits.requires_grad_(True)
    losses.adversarial_generator_loss(logits).backward()
    assert logits.grad[0] < -0.3


def test_generator_part_loss_weights():
    value = losses.generator_part_loss(torch.tensor(2.0), torch.tensor(3.0),
                                       torch.tensor(5.0), 0.05)
    assert torch.allclose(value, torch.tensor(0.05 * 2 + 10 * 3 + 3 * 5.0))


def test_distillation_loss_is_mean_squared_error():
    student = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
    teacher = torch.tensor([[1.0, 1.0], [2.0, 1.0]])
    assert torch.allclose(losses.distillation_loss(student, teacher),
                          torch.tensor(5.0 / 4))


def test_part_mean_uses_only_the_part_columns():
    per_joint = torch.arange(32.0).reshape(2, 16)
    assert float(losses.part_mean(per_joint, (0, 1))) == (0 + 1 + 16 + 17) / 4
    assert float(losses.part_mean(per_joint, (3, 1))) == (3 + 1 + 19 + 17) / 4


def test_toy_poses_are_normalised():
    pose_2d, pose_3d = make_toy_poses(8)
    assert torch.allclose(pose_2d.abs().flatten(1).max(1).values,
                          torch.ones(8, dtype=pose_2d.dtype))
    assert torch.equal(pose_3d[..., :2], pose_2d)
