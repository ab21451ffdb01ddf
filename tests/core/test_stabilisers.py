"""Issue 11's stabilisers and label-free signals: R1, spectral norm, the
random mirror, ElePose's bone prior, the held-out signals and the stopping
rules."""
import copy
import math

import pytest
import torch

from tipsy_gan.core import adversarial_step as step
from tipsy_gan.core import networks as nw
from tipsy_gan.research import stopping
from tipsy_gan.core.gan_losses import BCEGANLoss
from tipsy_gan.core.priors import (ELEPOSE_BONE_RELATIONS,
                                   BoneProportionPrior, bone_proportion_loss)
from tipsy_gan.core.skeleton import FLIP_PAIRS
from tipsy_gan.research.training_signals import (bone_asymmetry, bone_lengths,
                                             bone_ratio_spread,
                                             heldout_signals)

from conftest import TEMPLATE_17, make_toy_poses


# ------------------------------------------------------------ R1
def test_r1_penalty_is_the_squared_input_gradient_and_trains_d():
    torch.manual_seed(0)
    weight = torch.randn(32, dtype=torch.float64)

    def linear_d(x):  # D(Y) = w . Y: ∇_Y D = w for every pose
        return x.flatten(1) @ weight

    real = make_toy_poses(8)[0].requires_grad_(True)
    penalty = step.r1_penalty(linear_d(real), real)
    assert penalty.item() == pytest.approx(weight.square().sum().item())

    d = nw.PoseDiscriminator(width=16).double()
    real, fake = make_toy_poses(8, seed=1)[0], make_toy_poses(8, seed=2)[0]
    no_flips = BCEGANLoss(flip_prob=0.0)
    plain = step.discriminator_losses(d, real, fake, no_flips)
    with_r1 = step.discriminator_losses(d, real, fake, no_flips,
                                        r1_weight=2.0)
    assert with_r1['loss'].item() == pytest.approx(
        plain['loss'].item() + with_r1['d_r1'].item(), rel=1e-9)
    with_r1['loss'].backward()  # differentiable for D's step
    assert all(p.grad is not None for p in d.parameters())


def test_spectral_norm_bounds_every_linear_layer_of_d():
    torch.manual_seed(0)
    d = nw.PoseDiscriminator(width=32, spectral_norm=True).train()
    for _ in range(30):  # power iterations run in train-mode forwards
        d(torch.randn(16, 16, 2))
    linears = [m for m in d.modules() if isinstance(m, torch.nn.Linear)]
    assert linears and all(hasattr(m, 'parametrizations') for m in linears)
    for m in linears:
        assert torch.linalg.matrix_norm(m.weight, 2).item() == \
            pytest.approx(1.0, abs=0.05)
    plain = nw.PoseDiscriminator(width=32)
    assert not any(hasattr(m, 'parametrizations') for m in plain.modules())


# ------------------------------------------------------------ mirror
def test_random_mirror_flips_x_and_swaps_left_and_right():
    pose_2d = make_toy_poses(6)[0]
    mirrored = step.random_mirror(pose_2d, 1.0)
    for left, right in FLIP_PAIRS:
        assert torch.equal(mirrored[:, left - 1, 0], -pose_2d[:, right - 1, 0])
        assert torch.equal(mirrored[:, right - 1, 1], pose_2d[:, left - 1, 1])
    spine = 7 - 1  # a centre joint stays, mirrored in x
    assert torch.equal(mirrored[:, spine, 0], -pose_2d[:, spine, 0])
    assert torch.equal(step.random_mirror(mirrored, 1.0), pose_2d)
    assert torch.equal(step.random_mirror(pose_2d, 0.0), pose_2d)
    rng = torch.Generator().manual_seed(0)
    half = step.random_mirror(make_toy_poses(400)[0], 0.5, rng)
    same = (half == make_toy_poses(400)[0]).flatten(1).all(1).float().mean()
    assert 0.4 < same.item() < 0.6


def test_zero_stabiliser_options_leave_the_step_unchanged():
    pose_2d = make_toy_poses(32, dtype=torch.float32)[0]
    results = []
    for config in (step.AdversarialConfig(),
                   step.AdversarialConfig(r1_weight=0.0, mirror_prob=0.0)):
        torch.manual_seed(0)
        lifter, d = nw.PartSplitLifter(width=16), nw.PoseDiscriminator(
            width=16)
        g_opt = torch.optim.Adam(lifter.parameters(), 1e-3)
        d_opt = torch.optim.Adam(d.parameters(), 1e-3)
        step.adversarial_train_step(lifter, d, pose_2d, config,
                                    step.OptimizerStep(g_opt),
                                    step.OptimizerStep(d_opt),
                                    torch.Generator().manual_seed(1))
        results.append(copy.deepcopy(lifter.state_dict()))
    assert all(torch.equal(results[0][k], results[1][k]) for k in results[0])


# ------------------------------------------------------------ bone prior
def _template_pose(n=4):
    pose = torch.tensor(TEMPLATE_17, dtype=torch.float64)
    return (pose - pose[:1])[1:].expand(n, 16, 3).clone()


def test_bone_prior_is_zero_at_the_relations_and_scale_free():
    pose = _template_pose()
    lengths = bone_lengths(pose)
    relations = (lengths[0] / lengths[0].mean()).tolist()
    assert bone_proportion_loss(pose, relations).item() == pytest.approx(0)
    assert bone_proportion_loss(3.0 * pose, relations).item() == \
        pytest.approx(0)
    stretched = pose.clone()
    stretched[:, 1, 2] += 0.3  # the right knee moved in depth
    assert bone_proportion_loss(stretched, relations).item() > 1e-3
    prior = BoneProportionPrior(weight=5.0)
    assert prior.weight == 5.0 and prior.relations == ELEPOSE_BONE_RELATIONS
    assert prior.joints == tuple(range(1, 17))
    with pytest.raises(ValueError, match='one per bone'):
        BoneProportionPrior(relations=(1.0, 2.0))


def test_bone_signals_see_asymmetry_and_changing_proportions():
    pose = _template_pose()
    assert bone_asymmetry(pose).item() == pytest.approx(0, abs=1e-12)
    assert bone_ratio_spread(pose).item() == pytest.approx(0, abs=1e-6)
    bent = pose.clone()
    bent[0, 2, 2] += 0.4  # one pose's right ankle pushed back
    assert bone_asymmetry(bent).item() > 0.01
    assert bone_ratio_spread(bent).item() > 0.01


# ------------------------------------------------------------ signals
def test_heldout_signals_are_repeatable_and_touch_no_training_state():
    torch.manual_seed(0)
    lifter = nw.PartSplitLifter(width=16).train()
    d = nw.PoseDiscriminator(width=16, dropout=0.5).train()
    pose_2d = make_toy_poses(64, dtype=torch.float32)[0]
    before = (copy.deepcopy(lifter.state_dict()), copy.deepcopy(
        d.state_dict()), torch.get_rng_state())
    first = heldout_signals(lifter, d, pose_2d, step.AdversarialConfig())
    second = heldout_signals(lifter, d, pose_2d, step.AdversarialConfig())
    assert first == second
    assert set(first) == {'reprojection', 'ninety', 'depth_abs',
                          'd_real_score', 'd_fake_score', 'd_accuracy',
                          'bone_asymmetry', 'bone_ratio_spread'}
    assert all(math.isfinite(v) for v in first.values())
    assert lifter.training and d.training
    for k, v in before[0].items():
        assert torch.equal(v, lifter.state_dict()[k])
    for k, v in before[1].items():
        assert torch.equal(v, d.state_dict()[k])
    assert torch.equal(before[2], torch.get_rng_state())


# ------------------------------------------------------------ stopping
def _curve(errors, depth_abs, spread):
    return [dict(iter=100 * (i + 1), epoch=0.25 * (i + 1), **{
        'PA-MPJPE': e, 'heldout_depth_abs': d,
        'heldout_bone_ratio_spread': s})
        for i, (e, d, s) in enumerate(zip(errors, depth_abs, spread))]


# A recorded shape: learning, a plateau, then a collapse (depths inflate).
RECORDED = _curve(
    errors=[190, 120, 95, 84, 80, 82, 81, 150, 230, 240],
    depth_abs=[0.30, 0.20, 0.17, 0.165, 0.16, 0.17, 0.168, 0.25, 0.30, 0.31],
    spread=[0.40, 0.30, 0.22, 0.20, 0.19, 0.195, 0.19, 0.25, 0.3, 0.32])


def test_collapse_guard_picks_the_known_point_of_a_recorded_curve():
    assert stopping.collapse_index(RECORDED, jump=1.3, warmup=0.5) == 7
    assert stopping.select(RECORDED, 'last') == 9
    pick = stopping.select(RECORDED)  # the default rule
    assert pick == 4 and RECORDED[pick]['PA-MPJPE'] == 80
    assert stopping.select(RECORDED, 'min_bone_spread') == 4  # a candidate
    last_before = stopping.select(RECORDED, dict(
        type='before_collapse', then='last'))
    assert last_before == 6
    judged = stopping.judge({'run': RECORDED})
    assert judged['mean_gap'] == 0 and judged['collapsed_picks'] == []
    judged = stopping.judge({'run': RECORDED}, 'last')
    assert judged['mean_gap'] == 160 and judged['collapsed_picks'] == ['run']
    # a run that never beat the limit is failed, not a collapsed pick
    judged = stopping.judge({'run': RECORDED}, 'last', collapsed_above=70)
    assert judged['failed_runs'] == ['run'] and not judged['collapsed_picks']


def test_rules_cannot_read_labels_and_unknown_rules_are_named():
    hidden = stopping.label_free(RECORDED)
    assert all('PA-MPJPE' not in row for row in hidden)
    with pytest.raises(ValueError, match='unknown stopping rule'):
        stopping.select(RECORDED, 'oracle')
    with pytest.raises(ValueError, match='empty curve'):
        stopping.select([], 'last')
    # a rule asked to minimise a label column finds nothing and falls back
    assert stopping.select(RECORDED, dict(type='min_signal',
                                          signal='PA-MPJPE')) == 9
