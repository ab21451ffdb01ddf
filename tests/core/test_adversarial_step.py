import copy

import pytest
import torch

from tipsy_gan.core import adversarial_step as step
from tipsy_gan.core import networks as nw

from conftest import make_toy_poses


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
    step.AdversarialConfig(projection='perspective',
                           renormalize_views=True,
                           w_knee_prior=1.0,
                           w_facing_prior=1.0),
}


@pytest.mark.parametrize('config', CONFIGS.values(), ids=CONFIGS.keys())
@pytest.mark.parametrize('lifter_cls', [nw.PartSplitLifter, nw.SoloLifter])
def test_a_few_iterations_run_and_update_both_networks(config, lifter_cls):
    lifter, discriminator, g_opt, d_opt = _setup(lifter_cls)
    lifter_before, d_before = _state(lifter), _state(discriminator)
    pose_2d = make_toy_poses(64)[0].float()
    rng = torch.Generator().manual_seed(0)
    for _ in range(3):
        logs = step.train_one_step(lifter, discriminator, g_opt, d_opt,
                                   pose_2d, config, rng)
    assert all(torch.isfinite(v).all() for v in logs.values()), logs
    assert all(not v.requires_grad for v in logs.values())
    parts = list(lifter.parts)
    for key in [
            'd_loss', 'd_real', 'd_fake', 'd_real_prob', 'd_fake_prob',
            'g_loss', 'g_adversarial', 'g_depth_abs'
    ] + [
            f'g_{kind}_{p}' for p in parts
            for kind in ('reprojection', 'ninety', 'total')
    ]:
        assert key in logs
    assert torch.allclose(logs['g_loss'],
                          sum(logs[f'g_total_{p}'] for p in parts),
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
                                      config, rng)
    d_opt.zero_grad()
    d_out['loss'].backward()
    assert all(p.grad is None for p in lifter.parameters())
    d_opt.step()
    assert not _changed(lifter, lifter_before)
    assert _changed(discriminator, d_before)

    d_before = _state(discriminator)
    g_out = step.generator_losses(lifter, discriminator, views, config)
    g_opt.zero_grad()
    d_opt.zero_grad(set_to_none=True)
    g_out['loss'].backward()
    assert all(p.grad is None for p in discriminator.parameters())
    g_opt.step()
    assert not _changed(discriminator, d_before)  # parameters and BN buffers
    assert _changed(lifter, lifter_before, buffers=False)


def test_callables_work_as_optimisers():
    """mmengine style: the step hands each loss to e.g. update_params."""
    lifter, discriminator, g_opt, d_opt = _setup(width=16)
    seen = []

    def update(optimizer):

        def apply(loss):
            seen.append(loss)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

        return apply

    step.train_one_step(lifter, discriminator, update(g_opt), update(d_opt),
                        make_toy_poses(32)[0].float())
    assert len(seen) == 2 and all(s.requires_grad for s in seen)


def test_same_seed_same_losses():
    pose_2d = make_toy_poses(32)[0].float()
    runs = []
    for _ in range(2):
        lifter, discriminator, g_opt, d_opt = _setup()
        rng = torch.Generator().manual_seed(4)
        runs.append([
            step.train_one_step(lifter, discriminator, g_opt, d_opt, pose_2d,
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
        outs.append(step.generator_losses(lifter, discriminator, views,
                                          config))
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
    import subprocess
    import sys
    code = (
        'import sys\n'
        'import tipsy_gan.core.geometry, tipsy_gan.core.networks\n'
        'import tipsy_gan.core.losses, tipsy_gan.core.adversarial_step\n'
        'import tipsy_gan.core.distillation, tipsy_gan.core.depth_flip\n'
        'bad = sorted(m for m in sys.modules\n'
        '             if m.split(".")[0] in ("mmcv", "mmpose", "mmengine"))\n'
        'assert not bad, bad\n')
    result = subprocess.run([sys.executable, '-c', code],
                            capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
