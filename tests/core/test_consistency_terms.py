"""Eq. 15's all-angle consistency as a forward-mode JVP (consistency_terms):
against finite differences, the full Jacobian contracted with ẑ and the
rotation consistency it is the small-angle limit of; per pose under
LayerNorm; as a generator term of the step."""
import copy

import pytest
import torch

from tipsy_gan.core import adversarial_step as step
from tipsy_gan.core import consistency_terms as ct
from tipsy_gan.core import networks as nw
from tipsy_gan.core.geometry import (Orthographic, Perspective, rotate,
                                     rotation_about_y)

from conftest import OracleLifter, make_toy_poses


def _net(norm='layer', cls=nw.SoloLifter, seed=0, train=False):
    torch.manual_seed(seed)
    net = cls(width=16, norm=norm).double()
    return net.train(train)


def _smooth(net):
    """``net`` with every LeakyReLU replaced by tanh: no kinks for a finite
    difference in θ to straddle."""
    for module in list(net.modules()):
        for name, child in module.named_children():
            if isinstance(child, torch.nn.LeakyReLU):
                setattr(module, name, torch.nn.Tanh())
    return net


def _poses(n=8, seed=0):
    return make_toy_poses(n, seed)[0]  # float64, max-normalised


@pytest.mark.parametrize('norm', ['layer', 'none', 'batch'])
def test_residual_is_x_plus_the_derivative_along_x_in_the_direction_z(norm):
    """Finite differences of G along the x-coordinates in the direction ẑ
    (eval mode: a BN net is then per pose too)."""
    net, pose_2d = _net(norm), _poses()
    depth = net(pose_2d)
    residual = ct.all_angle_consistency_residual(net, pose_2d, depth)
    direction = torch.stack((depth, torch.zeros_like(depth)), dim=-1)
    h = 1e-5
    derivative = (net(pose_2d + h * direction) -
                  net(pose_2d - h * direction)) / (2 * h)
    torch.testing.assert_close(residual, pose_2d[..., 0] + derivative,
                               rtol=0, atol=1e-7)


def test_residual_is_the_full_jacobian_contracted_with_z():
    """x + Σ_i ∂G_j/∂x_i ẑ_i with the 16 × 16 Jacobian from jacrev (float64),
    and the same product from torch.func.jvp."""
    net, pose_2d = _net('layer', train=True), _poses()
    depth = net(pose_2d)
    residual = ct.all_angle_consistency_residual(net, pose_2d, depth)

    def one_pose(xy):
        return net(xy[None])[0]

    jacobian = torch.func.vmap(torch.func.jacrev(one_pose))(pose_2d)
    assert jacobian.shape == (8, 16, 16, 2)  # (pose, ẑ_j, joint i, (x, y))
    contracted = torch.einsum('bji,bi->bj', jacobian[..., 0], depth)
    torch.testing.assert_close(residual, pose_2d[..., 0] + contracted,
                               rtol=0, atol=1e-12)
    tangent = torch.stack((-depth, torch.zeros_like(depth)), dim=-1)
    _, jvp = torch.func.jvp(net, (pose_2d, ), (tangent, ))
    torch.testing.assert_close(residual, pose_2d[..., 0] - jvp, rtol=0,
                               atol=1e-12)


@pytest.mark.parametrize('camera', [Orthographic(), Perspective(4.0)],
                         ids=['orthographic', 'perspective'])
def test_residual_is_the_small_angle_limit_of_rotation_consistency(camera):
    """Turn the lifted pose by ±θ about y (eq. 10's R_θ), project, re-lift:
    c(θ) = (R_θ X)_z − G(P(R_θ X)) has c(0) = 0 and c'(0) = the residual;
    its central difference agrees to O(θ²)."""
    net, pose_2d = _smooth(_net('layer')), _poses()
    depth = net(pose_2d)
    residual = ct.all_angle_consistency_residual(net, pose_2d, depth,
                                                 camera).detach()
    pose_3d = camera.back_project(pose_2d, depth)

    @torch.no_grad()
    def consistency(theta):
        turned = rotate(pose_3d, rotation_about_y(
            torch.full((8, ), theta, dtype=torch.float64)))
        return turned[..., 2] - net(camera.project(turned))

    torch.testing.assert_close(consistency(0.0), torch.zeros_like(depth),
                               rtol=0, atol=1e-12)
    errors = []
    for theta in (1e-3, 1e-4):
        central = (consistency(theta) - consistency(-theta)) / (2 * theta)
        errors.append(float((central - residual).abs().max()))
    assert errors[1] < 1e-6
    assert errors[1] < errors[0] / 50  # second order: 100x per decade
    # Under orthographic P the tangent is (−ẑ, 0): eq. 15's own form.
    tangent = ct.projected_rotation_tangent(pose_3d, camera)
    if isinstance(camera, Orthographic):
        torch.testing.assert_close(tangent[..., 0], -depth)
        assert torch.equal(tangent[..., 1], torch.zeros_like(depth))


def test_an_exactly_consistent_lifter_has_zero_residual():
    """G(x, y) = a rigid shape's depth for the view: the oracle of the
    core tests recovers any orthographic view of its shapes exactly."""
    pose_2d, pose_3d = make_toy_poses(8)
    oracle = OracleLifter(pose_3d)
    depth = oracle(pose_2d)
    torch.testing.assert_close(depth, pose_3d[..., 2])
    residual = ct.all_angle_consistency_residual(oracle, pose_2d, depth)
    assert float(residual.abs().max()) < 1e-9


@pytest.mark.parametrize('norm, per_pose', [('layer', True), ('none', True),
                                            ('batch', False)])
def test_layer_norm_residual_is_per_pose_batch_norm_couples_the_batch(
        norm, per_pose):
    """In train mode: a pose's residual (and so its loss term) does not
    change when the other poses of the batch change, with LayerNorm or no
    normalisation; with BatchNorm it does (batch statistics)."""
    net = _net(norm, cls=nw.PartSplitLifter, train=True)
    pose_2d, others = _poses(8), _poses(8, seed=1)
    mixed = torch.cat([pose_2d[:3], others[3:]])
    a = ct.all_angle_consistency_residual(net, pose_2d, net(pose_2d))
    b = ct.all_angle_consistency_residual(net, mixed, net(mixed))
    same = torch.allclose(a[:3], b[:3], rtol=0, atol=1e-12)
    assert same is per_pose


@pytest.mark.parametrize('norm', ['layer', 'none', 'batch'])
def test_gradient_matches_the_jacobian_reference_in_the_parameters(norm):
    """Reverse over forward, train mode: the loss's gradient in the lifter's
    weights equals that of the same loss built from the batch's full
    Jacobian (reverse mode, (B, 16, B, 16, 2): with BatchNorm it holds the
    coupling of the poses through the batch statistics)."""
    net, pose_2d = _net(norm, cls=nw.PartSplitLifter, train=True), \
        _poses(6)
    depth = net(pose_2d)
    residual = ct.all_angle_consistency_residual(net, pose_2d, depth)
    jacobian = torch.autograd.functional.jacobian(net, pose_2d,
                                                  create_graph=True)
    reference = pose_2d[..., 0] + torch.einsum('bjci,ci->bj',
                                               jacobian[..., 0], depth)
    torch.testing.assert_close(residual, reference, rtol=0, atol=1e-9)
    params = list(net.parameters())
    got = torch.autograd.grad(residual.square().sum(), params,
                              retain_graph=True)
    want = torch.autograd.grad(reference.square().sum(), params)
    for (name, _), g, w in zip(net.named_parameters(), got, want):
        scale = float(w.abs().max()) + 1.0
        assert float((g - w).abs().max()) < 1e-7 * scale, name


def test_part_generators_get_only_their_own_residual():
    """Leg depths' residual depends on the leg generator alone (its inputs,
    its depths); the loss is Σ_p part mean, like L_p90°."""
    net, pose_2d = _net('layer', cls=nw.PartSplitLifter, train=True), \
        _poses()
    residual = ct.all_angle_consistency_residual(net, pose_2d, net(pose_2d))
    legs = list(nw.LEG_POSITIONS)
    torso_params = list(net.generators['torso'].parameters())
    grads = torch.autograd.grad(residual[:, legs].square().sum(),
                                torso_params, allow_unused=True)
    assert all(g is None or float(g.abs().max()) == 0 for g in grads)
    term = ct.AllAngleConsistency(2.0)
    views = step.lift_views(net, pose_2d, step.AdversarialConfig())
    value = term(net, views, step.AdversarialConfig())
    parts = ct.all_angle_consistency_loss(residual, net.parts)
    torch.testing.assert_close(value, parts['legs'] + parts['torso'])
    torch.testing.assert_close(parts['legs'],
                               residual[:, legs].square().mean())


def test_the_term_in_the_step_is_weighted_logged_and_leaves_bn_alone():
    torch.manual_seed(0)
    lifter = nw.PartSplitLifter(width=16).train()  # BatchNorm: runs too
    discriminator = nw.PoseDiscriminator(width=16).train()
    pose_2d = _poses(32).float()
    config = step.AdversarialConfig(terms=(ct.AllAngleConsistency(0.5), ))
    views = step.lift_views(lifter, pose_2d, config,
                            torch.Generator().manual_seed(0))
    buffers = copy.deepcopy(dict(lifter.named_buffers()))
    out = step.generator_losses(lifter.parts, discriminator, views, config,
                                lifter)
    for name, value in lifter.named_buffers():
        assert torch.equal(value, buffers[name]), name
    plain = step.generator_losses(lifter.parts, discriminator, views,
                                  step.AdversarialConfig())
    assert 'g_all_angle' in out and 'g_all_angle' not in plain
    torch.testing.assert_close(out['loss'],
                               plain['loss'] + 0.5 * out['g_all_angle'])
    with pytest.raises(ValueError, match='need the lifter'):
        step.generator_losses(lifter.parts, discriminator, views, config)


@pytest.mark.parametrize('cls', [nw.SoloLifter, nw.PartSplitLifter])
def test_training_steps_with_the_term_update_every_generator(cls):
    torch.manual_seed(0)
    lifter = cls(width=16, norm='layer').train()
    discriminator = nw.PoseDiscriminator(width=16).train()
    g_opt = torch.optim.Adam(lifter.parameters(), 1e-3)
    d_opt = torch.optim.Adam(discriminator.parameters(), 1e-3)
    config = step.AdversarialConfig(terms=(ct.AllAngleConsistency(1.0), ))
    before = copy.deepcopy(lifter.state_dict())
    rng = torch.Generator().manual_seed(0)
    for _ in range(2):
        logs = step.adversarial_train_step(lifter, discriminator,
                                           _poses(32).float(), config,
                                           step.OptimizerStep(g_opt),
                                           step.OptimizerStep(d_opt), rng)
    assert all(torch.isfinite(v) for v in logs.values())
    totals = sum(logs[f'g_total_{p}'] for p in lifter.parts)
    torch.testing.assert_close(logs['g_loss'],
                               totals + logs['g_all_angle'])
    for name in lifter.parts:
        prefix = 'generator.' if cls is nw.SoloLifter else \
            f'generators.{name}.'
        assert any(not torch.equal(v, before[k])
                   for k, v in lifter.state_dict().items()
                   if k.startswith(prefix)), name


DDP_SCRIPT = r'''
import os, sys, torch, torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
from tipsy_gan.core import adversarial_step as step, networks as nw
from tipsy_gan.core.consistency_terms import AllAngleConsistency
torch.set_num_threads(1)
os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=sys.argv[1])
dist.init_process_group('gloo', rank=0, world_size=1)
weights = []
for wrap in (False, True):
    torch.manual_seed(0)
    lifter = nw.PartSplitLifter(width=16, norm='layer').train()
    disc = nw.PoseDiscriminator(width=16).train()
    g_opt = torch.optim.Adam(lifter.parameters(), 1e-3)
    d_opt = torch.optim.Adam(disc.parameters(), 1e-3)
    config = step.AdversarialConfig(terms=(AllAngleConsistency(1.0), ))
    rng = torch.Generator().manual_seed(0)
    x = torch.rand(32, 16, 2, generator=torch.Generator().manual_seed(1))
    x = (2 * x - 1) / (2 * x - 1).abs().amax((1, 2), keepdim=True)
    g = DDP(lifter) if wrap else lifter
    d = DDP(disc) if wrap else disc
    for _ in range(2):
        step.adversarial_train_step(g, d, x, config, step.OptimizerStep(g_opt),
                                    step.OptimizerStep(d_opt), rng)
    weights.append([p.detach().clone() for p in lifter.parameters()])
dist.destroy_process_group()
assert all(torch.equal(a, b) for a, b in zip(*weights))
print('same')
'''


def test_the_term_runs_through_a_ddp_wrapped_lifter():
    """One gloo process: the step with the term on a DDP lifter trains
    exactly as on the bare lifter (the dual pass goes through DDP)."""
    import socket
    import subprocess
    import sys
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = str(s.getsockname()[1])
    result = subprocess.run([sys.executable, '-c', DDP_SCRIPT, port],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and 'same' in result.stdout, \
        result.stderr[-3000:]
