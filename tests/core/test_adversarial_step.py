import copy

import pytest
import torch

from tipsy_gan.core import adversarial_step as step
from tipsy_gan.core import losses
from tipsy_gan.core import networks as nw
from tipsy_gan.core.gan_losses import BCEGANLoss, LeastSquaresGANLoss
from tipsy_gan.core.geometry import Orthographic, Perspective
from tipsy_gan.core.priors import FacingPrior, KneeBendPrior

from conftest import make_toy_poses
from tipsy_gan_helpers import modules_imported_by, top_level


def _state(module):
    return copy.deepcopy(module.state_dict())


def _changed(module, before, buffers=True):
    names = dict(module.named_parameters())
    return {
        k
        for k, v in module.state_dict().items()
        if (buffers or k in names) and not torch.equal(v, before[k])
    }


def _setup(lifter_cls=nw.PartSplitLifter, width=32, seed=0):
    torch.manual_seed(seed)
    lifter = lifter_cls(width=width).train()
    discriminator = nw.PoseDiscriminator(width=width).train()
    g_opt = torch.optim.Adam(lifter.parameters(), 2e-4)
    d_opt = torch.optim.Adam(discriminator.parameters(), 2e-4)
    return lifter, discriminator, g_opt, d_opt


CONFIGS = {
    'paper':
    step.AdversarialConfig(),
    'unbatched':
    step.AdversarialConfig(batch_views=False, view_bn_stats=True),
    'all_options':
    step.AdversarialConfig(projection=Perspective(),
                           renormalize_views=True,
                           priors=(KneeBendPrior(1.0), FacingPrior(0.5))),
    'least_squares':
    step.AdversarialConfig(gan_loss=LeastSquaresGANLoss()),
}


def train_one_step(lifter, discriminator, g_opt, d_opt, pose_2d, config=None,
                   rng=None):
    return step.adversarial_train_step(lifter, discriminator, pose_2d,
                                       config or step.AdversarialConfig(),
                                       step.OptimizerStep(g_opt),
                                       step.OptimizerStep(d_opt), rng)


@pytest.mark.parametrize('config', CONFIGS.values(), ids=CONFIGS.keys())
@pytest.mark.parametrize('lifter_cls', [nw.PartSplitLifter, nw.SoloLifter])
def test_a_few_iterations_run_and_update_both_networks(config, lifter_cls):
    lifter, discriminator, g_opt, d_opt = _setup(lifter_cls)
    lifter_before, d_before = _state(lifter), _state(discriminator)
    pose_2d = make_toy_poses(64)[0].float()
    rng = torch.Generator().manual_seed(0)
    for _ in range(3):
        logs = train_one_step(lifter, discriminator, g_opt, d_opt, pose_2d,
                              config, rng)
    assert all(torch.isfinite(v).all() for v in logs.values()), logs
    assert all(not v.requires_grad for v in logs.values())
    parts = list(lifter.parts)
    for key in [
            'd_loss', 'd_real', 'd_fake', 'd_real_score', 'd_fake_score',
            'g_loss', 'g_adversarial', 'g_depth_abs'
    ] + [
            f'g_{kind}_{p}' for p in parts
            for kind in ('reprojection', 'ninety', 'total')
    ]:
        assert key in logs
    priors = sum(prior.weight * logs[f'g_{prior.name}']
                 for prior in config.priors)
    assert torch.allclose(logs['g_loss'],
                          sum(logs[f'g_total_{p}'] for p in parts) + priors,
                          rtol=1e-5)
    changed = _changed(lifter, lifter_before, buffers=False)
    if lifter_cls is nw.PartSplitLifter:
        assert any(k.startswith('generators.legs.') for k in changed)
        assert any(k.startswith('generators.torso.') for k in changed)
    else:
        assert changed
    assert _changed(discriminator, d_before, buffers=False)


def test_discriminator_update_leaves_the_lifter_alone_and_vice_versa():
    lifter, discriminator, g_opt, d_opt = _setup()
    pose_2d = make_toy_poses(64)[0].float()
    rng = torch.Generator().manual_seed(0)
    config = step.AdversarialConfig()
    views = step.lift_views(lifter, pose_2d, config, rng)

    lifter_before, d_before = _state(lifter), _state(discriminator)
    d_out = step.discriminator_losses(discriminator, pose_2d, views.fake_2d,
                                      config.gan_loss, rng)
    d_opt.zero_grad()
    d_out['loss'].backward()
    assert all(p.grad is None for p in lifter.parameters())
    d_opt.step()
    assert not _changed(lifter, lifter_before)
    assert _changed(discriminator, d_before)

    d_before = _state(discriminator)
    g_out = step.generator_losses(lifter.parts, discriminator, views,
                                  config)
    g_opt.zero_grad()
    d_opt.zero_grad(set_to_none=True)
    g_out['loss'].backward()
    assert all(p.grad is None for p in discriminator.parameters())
    g_opt.step()
    assert not _changed(discriminator, d_before)  # parameters and BN buffers
    assert _changed(lifter, lifter_before, buffers=False)


def test_optim_wrapper_protocol_is_what_the_step_uses():
    """mmengine style: each loss goes to update_params, each forward runs in
    optim_context of the network it trains; D steps before G."""
    lifter, discriminator, g_opt, d_opt = _setup(width=16)
    seen = []

    class Wrapper(step.OptimizerStep):

        def __init__(self, name, optimizer):
            super().__init__(optimizer)
            self.name = name

        def update_params(self, loss):
            seen.append(('update', self.name, loss.requires_grad))
            super().update_params(loss)

        def optim_context(self, module):
            seen.append(('context', self.name, module is lifter))
            return super().optim_context(module)

    step.adversarial_train_step(lifter, discriminator,
                                make_toy_poses(32)[0].float(),
                                step.AdversarialConfig(),
                                Wrapper('g', g_opt), Wrapper('d', d_opt))
    assert seen == [('context', 'g', True), ('context', 'd', False),
                    ('update', 'd', True), ('context', 'g', True),
                    ('update', 'g', True)]


def _routed(depth, parts, owner):
    keep = torch.zeros(depth.shape[1], dtype=torch.bool)
    keep[list(parts[owner])] = True
    return torch.where(keep, depth, depth.detach())


@pytest.mark.parametrize('lifter_kind', ['two_parts', 'three_parts', 'solo'])
def test_backpropagated_total_is_the_sum_of_the_part_losses(lifter_kind):
    """Eqs. 7-8 exactly, in float64: the value and every generator's gradient
    of the backpropagated 'loss' equal those of Σ_p generator_part_loss, with
    L_adv for part p computed by its own pass of D through part p's depths
    only (no gradient split), plus the weighted priors."""
    torch.manual_seed(0)
    if lifter_kind == 'solo':
        lifter = nw.SoloLifter(width=16)
        weights = {'pose': 0.13}
    elif lifter_kind == 'two_parts':
        lifter = nw.PartSplitLifter(width=16)
        weights = {'legs': 0.05, 'torso': 0.08}
    else:
        lifter = nw.PartSplitLifter(width=16, parts=THREE_PARTS)
        weights = {'arms': 0.04, 'torso': 0.03, 'legs': 0.05}
    lifter = lifter.double().train()
    discriminator = nw.PoseDiscriminator(width=16).double().train()
    config = step.AdversarialConfig(
        w_adversarial=weights, projection=Perspective(4.0),
        renormalize_views=True, priors=(KneeBendPrior(0.7), FacingPrior(0.3)))
    pose_2d = make_toy_poses(32)[0]
    views = step.lift_views(lifter, pose_2d, config,
                            torch.Generator().manual_seed(3))
    out = step.generator_losses(lifter.parts, discriminator, views, config)

    parts, camera = lifter.parts, config.projection
    reprojection = losses.reprojection_consistency_loss(
        views.pose_2d, views.cycled_2d, parts)
    ninety = losses.ninety_degree_consistency_loss(
        views.pose_3d, views.depth_from_clockwise_view,
        views.depth_from_anticlockwise_view, views.depth_from_half_turn_view,
        parts)
    reference = 0
    for name in parts:
        depth = _routed(views.depth, parts, name)
        fake = step.renormalised(
            camera.project(step.rotate(camera.back_project(pose_2d, depth),
                                       views.rotation)), views.view_scale)
        adversarial = BCEGANLoss().generator_term(discriminator(fake))
        reference = reference + losses.generator_part_loss(
            adversarial, reprojection[name], ninety[name], weights[name])
    for prior in config.priors:
        owners = step.parts_owning(parts, prior.joints)
        keep = torch.zeros(16, dtype=torch.bool)
        for name in owners:
            keep[list(parts[name])] = True
        depth = torch.where(keep, views.depth, views.depth.detach())
        reference = reference + prior.weight * prior(
            camera.back_project(pose_2d, depth))

    assert torch.allclose(out['loss'], reference, rtol=1e-12)
    got = torch.autograd.grad(out['loss'], list(lifter.parameters()),
                              retain_graph=True)
    want = torch.autograd.grad(reference, list(lifter.parameters()))
    for (name, _), g, w in zip(lifter.named_parameters(), got, want):
        assert torch.allclose(g, w, rtol=1e-9, atol=1e-12), name
    assert torch.allclose(out['loss'],
                          sum(out[f'g_total_{p}'] for p in parts) +
                          sum(p.weight * out[f'g_{p.name}']
                              for p in config.priors), rtol=1e-12)


THREE_PARTS = {
    'arms': ('left_shoulder', 'left_elbow', 'left_wrist', 'right_shoulder',
             'right_elbow', 'right_wrist'),
    'torso': ('spine', 'thorax', 'neck_base', 'head'),
    'legs': ('right_hip', 'right_knee', 'right_foot', 'left_hip', 'left_knee',
             'left_foot'),
}


def _generators_reached(lifter, prior):
    discriminator = nw.PoseDiscriminator(width=16).train()
    config = step.AdversarialConfig(w_adversarial=dict.fromkeys(
        lifter.parts, 0.0), w_reprojection=0.0, w_ninety=0.0, priors=(prior, ))
    views = step.lift_views(lifter, make_toy_poses(32)[0].float(), config)
    lifter.zero_grad(set_to_none=True)
    step.generator_losses(lifter.parts, discriminator, views,
                          config)['loss'].backward()
    return {
        name
        for name, g in lifter.generators.items()
        if any(p.grad is not None and p.grad.abs().sum() > 0
               for p in g.parameters())
    }


def test_priors_reach_every_generator_that_owns_their_joints():
    """A third part needs no code: the facing prior reads shoulders and hips;
    by default it acts on the shoulders (arms), and declaring a hip as well
    makes it reach the legs too. The torso owns neither."""
    torch.manual_seed(0)
    lifter = nw.PartSplitLifter(width=16, parts=THREE_PARTS).train()
    default = FacingPrior(1.0)
    assert step.parts_owning(lifter.parts, default.joints) == ['arms']
    assert _generators_reached(lifter, default) == {'arms'}
    both = FacingPrior(1.0, joints=('left_shoulder', 'right_hip'))
    assert step.parts_owning(lifter.parts, both.joints) == ['arms', 'legs']
    assert _generators_reached(lifter, both) == {'arms', 'legs'}


def test_gan_losses():
    real = torch.tensor([2.0, -1.0, 0.5])
    fake = torch.tensor([-3.0, 0.0, 1.0])
    paper = BCEGANLoss()
    assert paper.flip_prob == 0.05 and paper.real_label == 1.0
    r, f = BCEGANLoss(flip_prob=0.0).discriminator_terms(real, fake)
    assert torch.allclose(r, torch.nn.functional.softplus(-real).mean())
    assert torch.allclose(f, torch.nn.functional.softplus(fake).mean())
    # the authors' code: real label 0.8
    r, _ = BCEGANLoss(flip_prob=0.0, real_label=0.8).discriminator_terms(
        real, fake)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    assert torch.allclose(r, bce(real, torch.full_like(real, 0.8)))
    assert torch.allclose(paper.score(real), torch.sigmoid(real))
    ls = LeastSquaresGANLoss()
    r, f = ls.discriminator_terms(real, fake)
    assert torch.allclose(r, 0.5 * ((real - 1)**2).mean())
    assert torch.allclose(f, 0.5 * (fake**2).mean())
    assert torch.allclose(ls.generator_term(fake), 0.5 * ((fake - 1)**2).mean())
    assert torch.equal(ls.score(real), real)


def test_flip_rate_of_the_authors_variant():
    rng = torch.Generator().manual_seed(0)
    logits = torch.zeros(200_000)
    real, fake = losses.gan_labels(logits, logits, 0.1, rng, 0.8)
    assert abs(float((real == 0.8).float().mean()) - 0.9) < 0.005
    assert abs(float((fake == 1.0).float().mean()) - 0.1) < 0.005


def test_orthographic_and_perspective_are_interchangeable_objects():
    xy = make_toy_poses(8)[0].float()
    z = torch.linspace(-0.5, 0.5, 16).expand(8, 16)
    for camera in (Orthographic(), Perspective(3.0)):
        assert torch.allclose(camera.project(camera.back_project(xy, z)), xy,
                              atol=1e-6)
    assert not torch.allclose(Perspective(3.0).back_project(xy, z),
                              Orthographic().back_project(xy, z))


def test_same_seed_same_losses():
    pose_2d = make_toy_poses(32)[0].float()
    runs = []
    for _ in range(2):
        lifter, discriminator, g_opt, d_opt = _setup()
        rng = torch.Generator().manual_seed(4)
        runs.append([
            train_one_step(lifter, discriminator, g_opt, d_opt, pose_2d,
                           None, rng) for _ in range(2)
        ])
    for a, b in zip(*runs):
        assert all(torch.equal(a[k], b[k]) for k in a)


def test_batched_and_separate_view_passes_agree_in_eval_mode():
    lifter, discriminator, _, _ = _setup()
    lifter.eval()
    pose_2d = make_toy_poses(32)[0].float()
    outs = []
    for batch_views in (True, False):
        config = step.AdversarialConfig(batch_views=batch_views)
        views = step.lift_views(lifter, pose_2d, config,
                                torch.Generator().manual_seed(0))
        outs.append(step.generator_losses(lifter.parts, discriminator,
                                          views, config))
    for k in outs[0]:
        assert torch.allclose(outs[0][k], outs[1][k], rtol=1e-5, atol=1e-7), k


def test_batched_views_change_train_mode_statistics():
    """Documents the choice: in train mode BN normalises the mixture of views."""
    lifter, discriminator, _, _ = _setup()
    pose_2d = make_toy_poses(32)[0].float()
    depths = []
    for batch_views in (True, False):
        views = step.lift_views(
            lifter, pose_2d, step.AdversarialConfig(batch_views=batch_views),
            torch.Generator().manual_seed(0))
        depths.append(views.depth_from_clockwise_view)
    assert not torch.allclose(depths[0], depths[1])


@pytest.mark.parametrize('batch_views', [True, False])
def test_only_the_real_pass_updates_bn_running_statistics(batch_views):
    lifter, _, _, _ = _setup()
    reference = copy.deepcopy(lifter)
    pose_2d = make_toy_poses(32)[0].float()
    step.lift_views(lifter, pose_2d,
                    step.AdversarialConfig(batch_views=batch_views))
    reference(pose_2d)
    for (name, value), ref in zip(lifter.named_buffers(), reference.buffers()):
        assert torch.equal(value, ref), name
    # With view_bn_stats the view passes update them too.
    step.lift_views(
        reference, pose_2d,
        step.AdversarialConfig(batch_views=batch_views, view_bn_stats=True))
    assert not torch.equal(
        reference.generators['legs'].net.stem[1].running_mean,
        lifter.generators['legs'].net.stem[1].running_mean)


def test_solo_uses_the_summed_adversarial_weight_and_custom_weights_apply():
    config = step.AdversarialConfig()
    assert config.adversarial_weight('pose') == pytest.approx(0.13)
    assert config.adversarial_weight('legs') == 0.05
    assert config.adversarial_weight('torso') == 0.08
    custom = step.AdversarialConfig(w_adversarial={'pose': 0.08})
    assert custom.adversarial_weight('pose') == 0.08
    with pytest.raises(KeyError):
        custom.adversarial_weight('legs')


def test_scale_gradient_is_identity_forward_and_scales_backward():
    x = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = step.scale_gradient(x, torch.tensor([0.5, 2.0, 0.0]))
    assert torch.equal(y, x)
    y.sum().backward()
    assert torch.equal(x.grad, torch.tensor([0.5, 2.0, 0.0]))


def test_algorithm_modules_import_neither_mmcv_nor_mmpose():
    loaded = modules_imported_by(*(
        f'tipsy_gan.core.{m}'
        for m in ('geometry', 'networks', 'losses', 'adversarial_step',
                  'distillation', 'depth_flip', 'gan_losses', 'priors',
                  'inputs', 'consistency_terms')),
        *(f'tipsy_gan.research.{m}'
          for m in ('sensitivity', 'stopping', 'training_signals')))
    bad = top_level(loaded) & {'mmcv', 'mmpose', 'mmengine'}
    assert not bad, sorted(bad)


def test_bf16_networks_keep_geometry_losses_and_weights_in_float32():
    lifter, discriminator, g_opt, d_opt = _setup(width=32)
    pose_2d = make_toy_poses(64)[0].float()
    config = step.AdversarialConfig(network_dtype='bfloat16')
    views = step.lift_views(lifter, pose_2d, config,
                            torch.Generator().manual_seed(0))
    assert views.depth.dtype == views.cycled_2d.dtype == torch.float32
    fp32 = step.lift_views(lifter, pose_2d, step.AdversarialConfig(),
                           torch.Generator().manual_seed(0))
    assert not torch.equal(views.depth, fp32.depth)  # really in bf16
    assert float((views.depth - fp32.depth).abs().mean()) < 0.02
    logs = train_one_step(lifter, discriminator, g_opt, d_opt, pose_2d,
                          config, torch.Generator().manual_seed(0))
    assert all(v.dtype == torch.float32 for v in logs.values())
    assert all(p.dtype == torch.float32 for p in lifter.parameters())
    state = g_opt.state[next(lifter.parameters())]
    assert state['exp_avg'].dtype == torch.float32


def test_renormalised_views_have_unit_peak():
    views = torch.randn(5, 16, 2) * 3
    config = step.AdversarialConfig(renormalize_views=True)
    scaled = step.renormalised(views, step.view_scale(views, config))
    assert torch.allclose(scaled.abs().flatten(1).max(1).values, torch.ones(5))
    assert step.view_scale(views, step.AdversarialConfig()) is None


# ------------------------------------------------------- several rotations
def _two_rotation_setup():
    torch.manual_seed(0)
    lifter = nw.PartSplitLifter(width=32, norm='layer').train()
    discriminator = nw.PoseDiscriminator(width=32).train()
    pose_2d = make_toy_poses(16)[0].float()
    return lifter, discriminator, pose_2d


def test_one_pose_rotated_twice_by_the_same_r_gives_the_one_rotation_losses():
    """K = 2 with both copies of R equal is K = 1's step on duplicated data:
    every mean, D's batch statistics included, is the same. A layout slip
    (a rotation paired with another pose) breaks the equality."""
    lifter, discriminator, pose_2d = _two_rotation_setup()
    rotation = step.random_rotation(16, torch.Generator().manual_seed(3))
    config = step.AdversarialConfig(projection=Perspective(),
                                    renormalize_views=True,
                                    gan_loss=BCEGANLoss(flip_prob=0.0),
                                    priors=(KneeBendPrior(1.0), ))
    out = {}
    for k in (1, 2):
        cfg = step.dataclasses.replace(config, num_rotations=k)
        views = step.lift_views(lifter, pose_2d, cfg,
                                rotation=rotation.repeat(k, 1, 1))
        assert views.num_rotations == k
        assert views.fake_2d.shape == (16 * k, 16, 2)
        d = step.discriminator_losses(discriminator, pose_2d, views.fake_2d,
                                      cfg.gan_loss)
        g = step.generator_losses(lifter.parts, discriminator, views, cfg)
        out[k] = {**{'d_' + n: v for n, v in d.items()}, **g}
    for name in out[1]:
        assert torch.allclose(out[1][name], out[2][name], rtol=1e-5,
                              atol=1e-6), name


def test_each_rotated_copy_is_its_own_pose_under_its_own_rotation():
    lifter, _, pose_2d = _two_rotation_setup()
    config = step.AdversarialConfig(num_rotations=3)
    views = step.lift_views(lifter, pose_2d, config,
                            torch.Generator().manual_seed(1))
    assert views.rotation.shape == (48, 3, 3)
    assert not torch.allclose(views.rotation[:16], views.rotation[16:32])
    for copy_index in range(3):
        rows = slice(16 * copy_index, 16 * (copy_index + 1))
        expected = config.projection.project(
            step.rotate(views.pose_3d, views.rotation[rows]))
        assert torch.allclose(views.fake_2d[rows], expected, atol=1e-6)
    # every copy cycles back to its own input when the lifter is exact
    assert views.cycled_2d.shape == (48, 16, 2)
    with pytest.raises(ValueError, match='num_rotations'):
        step.lift_views(lifter, pose_2d,
                        step.AdversarialConfig(num_rotations=0))


def test_several_rotations_train_and_cost_one_lifter_pass_more_per_copy():
    lifter, discriminator, pose_2d = _two_rotation_setup()
    g_opt = torch.optim.Adam(lifter.parameters(), 2e-4)
    d_opt = torch.optim.Adam(discriminator.parameters(), 2e-4)
    before = _state(lifter)
    seen = []
    hook = lifter.register_forward_hook(
        lambda m, i, o: seen.append(i[0].shape[0]))
    try:
        out = train_one_step(lifter, discriminator, g_opt, d_opt, pose_2d,
                             step.AdversarialConfig(num_rotations=4),
                             torch.Generator().manual_seed(0))
    finally:
        hook.remove()
    assert seen == [16, (4 + 3) * 16]  # the real pass, then every view
    assert torch.isfinite(out['g_loss']) and torch.isfinite(out['d_loss'])
    assert _changed(lifter, before, buffers=False)
