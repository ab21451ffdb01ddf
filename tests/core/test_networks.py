import copy

import pytest
import torch

from tipsy_gan.core import networks as nw


def _count(module):
    return sum(p.numel() for p in module.parameters())


@pytest.fixture
def pose_2d():
    return torch.rand(32, 16, 2,
                      generator=torch.Generator().manual_seed(0)) * 2 - 1


def test_output_shapes(pose_2d):
    assert nw.ResidualLifter(16, width=32)(pose_2d).shape == (32, 16)
    assert nw.ResidualLifter(6, 3, width=32)(pose_2d[:, :6]).shape == (32, 3)
    assert nw.SoloLifter(width=32)(pose_2d).shape == (32, 16)
    assert nw.PartSplitLifter(width=32)(pose_2d).shape == (32, 16)
    assert nw.PoseDiscriminator(width=32)(pose_2d).shape == (32, )


def test_generator_output_is_tanh_bounded(pose_2d):
    lifter = nw.SoloLifter(width=32)
    depth = lifter(100 * pose_2d)  # saturates the tanh
    assert depth.abs().max() <= 1.0
    assert depth.abs().max() > 0.9


def test_discriminator_gives_raw_logits_and_takes_dropout(pose_2d):
    torch.manual_seed(0)
    plain = nw.PoseDiscriminator(width=32)
    out = plain(100 * pose_2d)
    assert out.abs().max() > 1  # no final sigmoid
    dropped = nw.PoseDiscriminator(width=32, dropout=0.5).train()
    assert sum(isinstance(m, torch.nn.Dropout) for m in dropped.modules()) == 7
    assert not torch.equal(dropped(pose_2d), dropped(pose_2d))


def test_part_positions_follow_the_skeleton():
    assert nw.LEG_POSITIONS == (0, 1, 2, 3, 4, 5)
    assert nw.TORSO_POSITIONS == tuple(range(6, 16))
    lifter = nw.PartSplitLifter(width=32)
    assert lifter.parts == {
        'legs': nw.LEG_POSITIONS,
        'torso': nw.TORSO_POSITIONS
    }
    assert lifter.generators['legs'].net.stem[0].in_features == 12
    assert lifter.generators['torso'].net.stem[0].in_features == 20
    with pytest.raises(ValueError, match='exactly once'):
        nw.PartSplitLifter(width=32, parts={'a': (1, 2), 'b': (2, 3)})
    with pytest.raises(ValueError, match='root'):
        nw.PartSplitLifter(width=32, parts={'a': range(0, 17)})


def test_any_part_split_by_joint_names():
    three = nw.PartSplitLifter(width=16, parts={
        'arms': ('left_shoulder', 'left_elbow', 'left_wrist',
                 'right_shoulder', 'right_elbow', 'right_wrist'),
        'torso': ('spine', 'thorax', 'neck_base', 'head'),
        'legs': (1, 2, 3, 4, 5, 6),
    })
    assert three.parts == {'arms': (10, 11, 12, 13, 14, 15),
                           'torso': (6, 7, 8, 9),
                           'legs': (0, 1, 2, 3, 4, 5)}
    assert three(torch.rand(4, 16, 2)).shape == (4, 16)


@pytest.mark.parametrize('changed, unchanged', [
    (nw.LEG_POSITIONS, nw.TORSO_POSITIONS),
    (nw.TORSO_POSITIONS, nw.LEG_POSITIONS),
])
def test_part_split_generators_see_only_their_own_joints(
        pose_2d, changed, unchanged):
    lifter = nw.PartSplitLifter(width=32)
    lifter.train()
    lifter(pose_2d)  # give the BN layers non-trivial running statistics
    lifter.eval()
    perturbed = pose_2d.clone()
    perturbed[:, list(changed)] += 0.3
    before, after = lifter(pose_2d), lifter(perturbed)
    assert torch.equal(before[:, list(unchanged)], after[:, list(unchanged)])
    assert not torch.allclose(before[:, list(changed)], after[:,
                                                              list(changed)])


def test_part_split_assembles_each_part_in_place(pose_2d):
    lifter = nw.PartSplitLifter(width=32).eval()
    depth = lifter(pose_2d)
    legs = lifter.generators['legs'](pose_2d[:, list(nw.LEG_POSITIONS)])
    torso = lifter.generators['torso'](pose_2d[:, list(nw.TORSO_POSITIONS)])
    assert torch.equal(depth[:, list(nw.LEG_POSITIONS)], legs)
    assert torch.equal(depth[:, list(nw.TORSO_POSITIONS)], torso)


def test_solo_lifter_mixes_all_joints(pose_2d):
    lifter = nw.SoloLifter(width=32).eval()
    perturbed = pose_2d.clone()
    perturbed[:, list(nw.LEG_POSITIONS)] += 0.3
    torso = list(nw.TORSO_POSITIONS)
    assert not torch.allclose(
        lifter(pose_2d)[:, torso],
        lifter(perturbed)[:, torso])


@pytest.mark.parametrize('width', [32, 64])
def test_discriminator_has_one_residual_block_fewer(width):
    generator = nw.ResidualLifter(16, 16, width=width)
    discriminator = nw.PoseDiscriminator(16, width=width)
    assert len(generator.net.blocks) == 4
    assert len(discriminator.net.blocks) == 3
    block = 2 * (width * width + width) + 2 * (2 * width)  # 2 × (Linear + BN)
    heads = (width * 16 + 16) - (width * 1 + 1)
    assert _count(generator) - _count(discriminator) == block + heads


def test_activation_choice():
    assert isinstance(
        nw.ResidualLifter(width=8).net.stem[2], torch.nn.LeakyReLU)
    assert isinstance(
        nw.ResidualLifter(width=8, activation='relu').net.stem[2],
        torch.nn.ReLU)
    with pytest.raises(ValueError):
        nw.make_activation('gelu')


def test_no_bn_stat_updates_keeps_buffers_but_uses_batch_statistics(pose_2d):
    lifter = nw.SoloLifter(width=32).train()
    buffers = copy.deepcopy(dict(lifter.named_buffers()))
    with nw.no_bn_stat_updates(lifter):
        inside = lifter(pose_2d)
    for name, value in lifter.named_buffers():
        assert torch.equal(value, buffers[name]), name
    # Train-mode output is the same as with updates on (batch statistics).
    assert torch.allclose(inside, lifter(pose_2d))
    assert all(m.track_running_stats for m in nw.batch_norm_layers(lifter))
    assert not torch.equal(lifter.generator.net.stem[1].running_mean,
                           buffers['generator.net.stem.1.running_mean'])


def test_frozen_and_eval_mode_restore_the_module():
    d = nw.PoseDiscriminator(width=16).train()
    d.net.head.weight.requires_grad_(False)
    with nw.frozen(d):
        assert not any(p.requires_grad for p in d.parameters())
    assert not d.net.head.weight.requires_grad
    assert d.net.head.bias.requires_grad
    with nw.eval_mode(d):
        assert not d.training
    assert d.training


@pytest.mark.parametrize('make', [
    lambda: nw.ResidualLifter(16, width=32),
    lambda: nw.PartSplitLifter(width=32),
    lambda: nw.SoloLifter(width=32),
])
def test_folded_batch_norm_lifts_like_the_eval_network(pose_2d, make):
    from tipsy_gan.core.inference import fold_batch_norm
    torch.manual_seed(0)
    lifter = make().train()
    for _ in range(3):  # non-trivial running statistics
        lifter(pose_2d * 2)
    with torch.no_grad():
        for m in lifter.modules():
            if isinstance(m, torch.nn.BatchNorm1d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    folded = fold_batch_norm(lifter)
    assert not any(isinstance(m, torch.nn.BatchNorm1d)
                   for m in folded.modules())
    assert lifter.training  # the original is untouched
    with torch.no_grad():
        expected = lifter.eval()(pose_2d)
        torch.testing.assert_close(folded(pose_2d), expected, atol=1e-5,
                                   rtol=1e-5)


@pytest.mark.parametrize('make', [
    lambda norm: nw.SoloLifter(width=16, norm=norm),
    lambda norm: nw.PartSplitLifter(width=16, norm=norm),
    lambda norm: nw.PoseDiscriminator(width=16, norm=norm),
])
def test_norm_option_keeps_the_linear_layers_and_batch_norm_default(make):
    """'batch' is the default (same keys, BN layers); 'layer' and 'none'
    put LayerNorm / Identity where BatchNorm sits, so a seed gives the same
    Linear weights and the Linear keys do not move."""
    torch.manual_seed(0)
    default = make('batch')
    assert nw.batch_norm_layers(default)
    nets = {}
    for norm in nw.NORMS:
        torch.manual_seed(0)
        nets[norm] = make(norm)
    torch.manual_seed(0)
    assert list(make('batch').state_dict()) == list(default.state_dict())
    batch = nets['batch'].state_dict()
    for norm in ('layer', 'none'):
        net = nets[norm]
        assert not nw.batch_norm_layers(net)
        kind = torch.nn.LayerNorm if norm == 'layer' else torch.nn.Identity
        assert any(isinstance(m, kind) for m in net.modules())
        linears = [n for n, m in net.named_modules()
                   if isinstance(m, torch.nn.Linear)]
        assert linears == [n for n, m in nets['batch'].named_modules()
                           if isinstance(m, torch.nn.Linear)]
        for name in linears:
            assert torch.equal(net.state_dict()[name + '.weight'],
                               batch[name + '.weight'])
    with pytest.raises(ValueError, match='norm must be one of'):
        make('group')


def test_layer_norm_lifter_is_per_pose_in_train_mode(pose_2d):
    torch.manual_seed(0)
    for norm, per_pose in (('layer', True), ('none', True), ('batch', False)):
        lifter = nw.SoloLifter(width=16, norm=norm).train()
        other = pose_2d.clone()
        other[4:] = pose_2d[4:].flip(0) * 0.5
        same = torch.allclose(lifter(pose_2d)[:4], lifter(other)[:4],
                              atol=1e-6)
        assert same is per_pose, norm


@pytest.mark.parametrize('norm', ['batch', 'layer'])
@pytest.mark.parametrize('train', [True, False])
def test_elementary_norms_compute_the_same_function(pose_2d, norm, train):
    """The norm layers from elementary ops (for the JVP loss's gradients)
    give the fused layers' values, and leave the running statistics."""
    torch.manual_seed(0)
    lifter = nw.PartSplitLifter(width=16, norm=norm).double()
    lifter(pose_2d.double())  # running statistics away from their init
    lifter.train(train)
    buffers = copy.deepcopy(dict(lifter.named_buffers()))
    with nw.no_bn_stat_updates(lifter):
        fused = lifter(pose_2d.double())
    with nw.elementary_norms(lifter):
        elementary = lifter(pose_2d.double())
    torch.testing.assert_close(elementary, fused, rtol=0, atol=1e-12)
    for name, value in lifter.named_buffers():
        assert torch.equal(value, buffers[name]), name
    assert all('forward' not in vars(m) for m in lifter.modules())


# ------------------------------------------------------------ network dtype
@pytest.mark.parametrize('found, expected', [
    (('amx', 'avx512_bf16'), 'bfloat16'),
    (('avx512_bf16', ), 'bfloat16'),
    ((), None),
])
def test_auto_network_dtype_follows_the_cpu_bf16_instructions(
        monkeypatch, found, expected):
    monkeypatch.setattr(nw, 'cpu_bf16_instructions', lambda: found)
    nw._auto_network_dtype.cache_clear()
    try:
        assert nw.resolve_network_dtype('auto', 'cpu') == expected
        line = nw.describe_network_dtype('auto', 'cpu')
        assert (expected or 'float32') in line
        assert ('neither AMX nor AVX512-BF16' in line) == (not found)
    finally:
        nw._auto_network_dtype.cache_clear()


def test_explicit_network_dtypes_pass_through_and_bad_ones_are_named():
    for dtype in (None, 'bfloat16', 'float16'):
        assert nw.resolve_network_dtype(dtype, 'cpu') == dtype
    with pytest.raises(ValueError, match="'bf16'"):
        nw.resolve_network_dtype('bf16', 'cpu')


@pytest.mark.parametrize('found', [(), ('avx512_bf16', )])
def test_run_network_with_auto_is_the_resolved_dtype(monkeypatch, pose_2d,
                                                      found):
    """'auto' without bf16 instructions is the float32 pass exactly; with
    them it is the bf16 autocast pass exactly, returned in float32."""
    monkeypatch.setattr(nw, 'cpu_bf16_instructions', lambda: found)
    nw._auto_network_dtype.cache_clear()
    torch.manual_seed(0)
    lifter = nw.PartSplitLifter(width=32, norm='layer')
    try:
        auto = nw.run_network(lifter, pose_2d, 'auto')
    finally:
        nw._auto_network_dtype.cache_clear()
    resolved = 'bfloat16' if found else None
    assert auto.dtype == torch.float32
    assert torch.equal(auto, nw.run_network(lifter, pose_2d, resolved))
    if found:
        assert not torch.equal(auto, lifter(pose_2d))
