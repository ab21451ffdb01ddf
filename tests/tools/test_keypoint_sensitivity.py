"""tools/analysis/keypoint_sensitivity.py and research.sensitivity on nets of
known structure: a block-diagonal linear net (known Jacobian, 0 leakage),
the leg + torso generators (0 leakage by construction), a solo net (> 0);
the tool end to end on a tiny TIPSyGAN checkpoint."""
import importlib.util
import json

import numpy as np
import pytest
import torch

from tipsy_gan.core import networks as nw
from tipsy_gan.research import sensitivity as sens
from tipsy_gan.paths import REPO_ROOT

torch.set_num_threads(1)
SCRIPT = REPO_ROOT / 'tools' / 'analysis' / 'keypoint_sensitivity.py'


def _poses(n=12, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    pose = torch.rand(n, 16, 2, generator=g, dtype=dtype) * 2 - 1
    return pose / pose.abs().amax((1, 2), keepdim=True)


class LinearDepth(torch.nn.Module):
    """ẑ_j = Σ_i A[j, i] x_i + B[j, i] y_i."""

    def __init__(self, a, b):
        super().__init__()
        self.register_buffer('a', a)
        self.register_buffer('b', b)

    def forward(self, pose_2d):
        return pose_2d[..., 0] @ self.a.T + pose_2d[..., 1] @ self.b.T


def _block_diagonal(blocks, seed=0):
    g = torch.Generator().manual_seed(seed)
    mask = torch.zeros(16, 16, dtype=torch.float64)
    for positions in blocks:
        p = torch.tensor(positions)
        mask[p[:, None], p[None, :]] = 1.0
    a = torch.randn(16, 16, generator=g, dtype=torch.float64) * mask
    b = torch.randn(16, 16, generator=g, dtype=torch.float64) * mask
    return LinearDepth(a, b)


def test_block_diagonal_linear_net_has_known_measures_and_zero_leakage():
    net, pose = _block_diagonal(sens.PARTS.values()), _poses()
    jac = sens.jacobian_sensitivity(net, pose)
    want = torch.sqrt(net.a**2 + net.b**2).expand(len(pose), 16, 16)
    torch.testing.assert_close(jac, want, rtol=1e-12, atol=0)
    scaled = sens.scaled_keypoint_sensitivity(net, pose)
    # scaling keypoint i by 1.05 moves ẑ_j by 0.05 (A[j,i] x_i + B[j,i] y_i)
    moved = 0.05 * (net.a * pose[:, None, :, 0] + net.b * pose[:, None, :, 1])
    torch.testing.assert_close(scaled, moved.square(), rtol=1e-9, atol=1e-15)
    for measure in (jac, scaled, jac.sum(0)):
        assert torch.equal(sens.cross_part_leakage(measure),
                           torch.zeros(measure.shape[:-2],
                                       dtype=torch.float64))
    # a net that maps each limb onto itself: every depth driven by its limb
    limbs = _block_diagonal(sens.LIMBS.values())
    share = sens.within_limb_share(sens.jacobian_sensitivity(limbs, pose))
    torch.testing.assert_close(share, torch.ones(len(pose),
                                                 dtype=torch.float64))


def test_leakage_is_the_share_of_the_off_diagonal_blocks():
    matrix = torch.ones(16, 16, dtype=torch.float64)
    legs, torso = len(nw.LEG_POSITIONS), len(nw.TORSO_POSITIONS)
    assert float(sens.cross_part_leakage(matrix)) == pytest.approx(
        2 * legs * torso / 256)
    matrix[:, list(nw.LEG_POSITIONS)] = 0  # no leg input reaches anything
    assert float(sens.cross_part_leakage(matrix)) == pytest.approx(
        legs * torso / (16 * torso))


def test_leg_torso_generators_leak_exactly_nothing_and_solo_does():
    torch.manual_seed(0)
    pose = _poses(6, dtype=torch.float32)
    parts = nw.PartSplitLifter(width=16).eval()
    parts(pose)  # BN running statistics stay at init; eval mode anyway
    for measure in (sens.jacobian_sensitivity(parts, pose),
                    sens.scaled_keypoint_sensitivity(parts, pose)):
        assert float(sens.cross_part_leakage(measure.sum(0))) == 0.0
        legs, torso = list(nw.LEG_POSITIONS), list(nw.TORSO_POSITIONS)
        assert float(measure[:, legs][:, :, torso].abs().max()) == 0.0
        assert float(measure[:, torso][:, :, legs].abs().max()) == 0.0
    solo = nw.SoloLifter(width=16).eval()
    assert float(sens.cross_part_leakage(
        sens.jacobian_sensitivity(solo, pose).sum(0))) > 0.05


def test_jacobian_measure_matches_finite_differences():
    torch.manual_seed(0)
    net = nw.SoloLifter(width=16, norm='layer').double().eval()
    pose = _poses(3)
    jac = sens.jacobian(net, pose, chunk=2)
    h = 1e-6
    for i, c in ((0, 0), (7, 1), (15, 0)):
        step = torch.zeros_like(pose)
        step[:, i, c] = h
        fd = (net(pose + step) - net(pose - step)) / (2 * h)
        torch.testing.assert_close(jac[:, :, i, c], fd, rtol=0, atol=1e-7)


def test_the_paper_perturbation_is_plus_five_percent_of_one_keypoint():
    pose = torch.full((1, 16, 2), 0.1, dtype=torch.float64)
    moved = sens.scaled_keypoint_inputs(pose)
    assert moved.shape == (1, 16, 16, 2)
    torch.testing.assert_close(moved[0, 4, 4],
                               torch.tensor([0.105, 0.105],
                                            dtype=torch.float64))
    others = torch.ones(16, dtype=torch.bool)
    others[4] = False
    assert torch.equal(moved[0, 4, others], pose[0, others])


def _tool():
    spec = importlib.util.spec_from_file_location('keypoint_sensitivity',
                                                  SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_tool_on_a_tiny_tipsy_checkpoint(tmp_path):
    """Lifter (leg + torso) and student of one training checkpoint: CSV,
    PNGs, the Markdown tables and the summary; the lifter's leakage is 0."""
    import tipsy_gan.mmpose_modules  # noqa: F401
    from tipsy_gan.models.tipsy_gan_model import TIPSyGAN
    torch.manual_seed(0)
    model = TIPSyGAN(lifter=dict(type='PartSplitLifter', width=16),
                     student=dict(width=16))
    ckpt = tmp_path / 'tiny.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)
    config = tmp_path / 'tiny.py'
    config.write_text("model = dict(type='TIPSyGAN', lifter=dict("
                      "type='PartSplitLifter', width=16), "
                      "student=dict(width=16))\n")
    g = np.random.default_rng(0)
    part = np.concatenate([g.uniform(0, 1000, (40, 17, 2)),
                           np.ones((40, 17, 1))], axis=-1)
    data = tmp_path / 'poses.npz'
    np.savez(data, part=part,
             imgname=np.array([f'S9/frame_{k}.jpg' for k in range(40)]))
    out = tmp_path / 'out'
    _tool().main(['--model', 'leg + torso', str(config), str(ckpt),
                  'lifter', '--model', 'student', str(config), str(ckpt),
                  'student', '--data', str(data), '--max-poses', '30',
                  '--pose-index', '3', '--out-dir', str(out)])
    summary = json.loads((out / 'summary.json').read_text())
    assert [s['name'] for s in summary] == ['leg_torso_0', 'student_0']
    assert summary[0]['jacobian_leakage'] == 0.0
    assert summary[0]['scaled_leakage'] == 0.0
    assert summary[1]['jacobian_leakage'] > 0.0
    assert all(s['num_poses'] == 30 for s in summary)
    rows = (out / 'leg_torso_0.csv').read_text().splitlines()
    assert len(rows) == 1 + 256
    assert rows[0].startswith('depth_joint,input_keypoint,jacobian_mean')
    for name in ('leg_torso_0.png', 'student_0.png', 'heatmaps.png'):
        assert 0 < (out / name).stat().st_size < 200_000
    report = (out / 'keypoint_sensitivity.md').read_text()
    for heading in ('Table 3', 'Table 4', 'Table 5', 'S9/frame_3.jpg',
                    '| leg + torso | 1 | 0.00 %'):
        assert heading in report


def test_a_picked_lifter_loads_as_the_lifter_and_nothing_else(tmp_path):
    """A stopping rule's picked_lifter.pth (lifter.* keys only) loads into
    the config's lifter with its weights; asking it for the student fails
    with the reason."""
    import tipsy_gan.mmpose_modules  # noqa: F401
    from tipsy_gan.models.tipsy_gan_model import TIPSyGAN
    torch.manual_seed(0)
    config = tmp_path / 'tiny.py'
    config.write_text("model = dict(type='TIPSyGAN', lifter=dict("
                      "type='SoloLifter', width=16))\n")
    trained = TIPSyGAN(lifter=dict(type='SoloLifter', width=16)).lifter
    for p in trained.parameters():
        p.data.normal_()
    ckpt = tmp_path / 'picked_lifter.pth'
    torch.save(dict(state_dict={f'lifter.{k}': v for k, v in
                                trained.state_dict().items()},
                    meta=dict(picked_iter=236, source='TIPSyCurveHook')),
               ckpt)
    lifter, what = _tool().load_lifter(str(config), str(ckpt))
    assert 'picked lifter (iteration 236' in what
    pose = _poses(4, dtype=torch.float32)
    torch.testing.assert_close(lifter(pose), trained.eval()(pose))
    with pytest.raises(ValueError, match='picked lifter.*no student'):
        _tool().load_lifter(str(config), str(ckpt), 'student')
    # since issue 18 the file also carries the final discriminator
    with_d = tmp_path / 'picked_with_d.pth'
    model = TIPSyGAN(lifter=dict(type='SoloLifter', width=16))
    torch.save(dict(state_dict={
        **{f'lifter.{k}': v for k, v in trained.state_dict().items()},
        **{f'discriminator.{k}': v for k, v in
           model.discriminator.state_dict().items()}},
        meta=dict(picked_iter=236, source='TIPSyCurveHook')), with_d)
    lifter, _ = _tool().load_lifter(str(config), str(with_d))
    torch.testing.assert_close(lifter(pose), trained.eval()(pose))
