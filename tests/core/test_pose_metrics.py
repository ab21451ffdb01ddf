import numpy as np
import pytest

from tipsy_gan.core.pose_metrics import (align_procrustes, align_xy_extent,
                                         auc_pck3d, depth_mirrored_mask,
                                         joint_errors, mirror_depth, mpjpe,
                                         n_mpjpe, pa_mpjpe, pck3d,
                                         root_relative)


def _rotation(axis, angle):
    axis = np.asarray(axis, dtype=float) / np.linalg.norm(axis)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]],
                  [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * k @ k


def _random_poses(n=5, k=17, seed=0):
    return np.random.default_rng(seed).normal(scale=300.0, size=(n, k, 3))


# Three joints with errors 0, 3 and 4 mm.
PRED = np.array([[[0., 0., 0.], [1., 0., 0.], [0., 2., 0.]]])
GT = np.array([[[0., 0., 0.], [1., 0., 3.], [0., 2., 4.]]])

# A square in the xy plane; the prediction bends it by +-1 in depth. By hand:
# H = diag(2, 2, 0) so R = I, s = trace / |pred|^2 = 4 / 8 = 0.5, and each
# aligned joint is off by (0.5 in-plane, 0.5 in depth): sqrt(0.5).
SQUARE_GT = np.array([[[1., 0., 0.], [0., 1., 0.], [-1., 0., 0.],
                       [0., -1., 0.]]])
SQUARE_PRED = np.array([[[1., 0., 1.], [0., 1., -1.], [-1., 0., 1.],
                         [0., -1., -1.]]])


def test_root_relative():
    poses = np.array([[[1., 2., 3.], [2., 2., 5.]]])
    np.testing.assert_array_equal(root_relative(poses),
                                  [[[0, 0, 0], [1, 0, 2]]])
    np.testing.assert_array_equal(
        root_relative(poses, root_index=1), [[[-1, 0, -2], [0, 0, 0]]])


def test_mpjpe_hand_values():
    assert mpjpe(PRED, GT) == pytest.approx(7 / 3)
    assert mpjpe(PRED, GT, mask=np.array([[True, True, False]])) == \
        pytest.approx(1.5)
    np.testing.assert_allclose(joint_errors(PRED, GT), [[0, 3, 4]])
    assert mpjpe(SQUARE_PRED, SQUARE_GT) == pytest.approx(1.0)


def test_mpjpe_averages_over_all_joints_not_per_pose():
    pred = np.concatenate([PRED, PRED])
    gt = np.concatenate([GT, PRED])
    mask = np.array([[True, False, True], [True, True, True]])
    # valid errors: 0, 4 | 0, 0, 0 -> 4 / 5
    assert mpjpe(pred, gt, mask) == pytest.approx(0.8)


def test_n_mpjpe_hand_value():
    pred = np.array([[[1., 0., 0.], [1., 0., 0.]]])
    gt = np.array([[[2., 0., 0.], [4., 0., 0.]]])
    # s = <p, g> / <p, p> = 6 / 2 = 3; errors |3-2| and |3-4|
    assert n_mpjpe(pred, gt) == pytest.approx(1.0)
    assert n_mpjpe(SQUARE_PRED, SQUARE_GT) == pytest.approx(np.sqrt(0.5))


def test_n_mpjpe_is_scale_invariant_but_not_rotation_invariant():
    gt = _random_poses()
    pred = gt + np.random.default_rng(1).normal(scale=20.0, size=gt.shape)
    base = n_mpjpe(pred, gt)
    assert base > 1.0
    for factor in (0.001, 0.5, 7.0, 1000.0):
        assert n_mpjpe(factor * pred, gt) == pytest.approx(base, rel=1e-9)
    assert n_mpjpe(3.0 * gt, gt) == pytest.approx(0.0, abs=1e-9)
    rotated = gt @ _rotation([0, 1, 0], 0.5).T
    assert n_mpjpe(rotated, gt) > 10.0


def test_pa_mpjpe_hand_value():
    assert pa_mpjpe(SQUARE_PRED, SQUARE_GT) == pytest.approx(np.sqrt(0.5))


def test_pa_mpjpe_zero_for_similarity_transformed_copy():
    gt = _random_poses()
    rotation = _rotation([0.3, -1.0, 0.4], 2.1)
    pred = 0.37 * gt @ rotation.T + np.array([100., -50., 4000.])
    assert mpjpe(pred, gt) > 100.0
    assert pa_mpjpe(pred, gt) == pytest.approx(0.0, abs=1e-8)


def test_pa_mpjpe_does_not_undo_a_reflection():
    gt = _random_poses()
    mirrored = gt * np.array([1., 1., -1.])  # depth flipped
    assert pa_mpjpe(mirrored, gt) > 50.0
    # a rotation + scale + shift of the mirror scores the same: only the
    # mirror itself is not undone
    moved = 2.0 * mirrored @ _rotation([1, 2, 3], 1.0).T + 10.0
    assert pa_mpjpe(moved, gt) == pytest.approx(pa_mpjpe(mirrored, gt))
    # without the det correction an orthogonal fit would undo the mirror
    for p, g in zip(mirrored, gt):
        u, _, vt = np.linalg.svd((p - p.mean(0)).T @ (g - g.mean(0)))
        reflection = vt.T @ u.T
        assert np.linalg.det(reflection) == pytest.approx(-1.0)
        np.testing.assert_allclose(
            (p - p.mean(0)) @ reflection.T + g.mean(0), g, atol=1e-8)


def test_pa_mpjpe_matches_umeyama_reference_per_pose():
    gt = _random_poses(n=4, seed=3)
    pred = _random_poses(n=4, seed=4)
    expected = []
    for p, g in zip(pred, gt):
        # reference: scipy-free Umeyama for one pose
        mp, mg = p.mean(0), g.mean(0)
        u, s, vt = np.linalg.svd((p - mp).T @ (g - mg))
        d = np.sign(np.linalg.det(vt.T @ u.T))
        r = vt.T @ np.diag([1, 1, d]) @ u.T
        scale = (s * [1, 1, d]).sum() / ((p - mp)**2).sum()
        aligned = scale * (p - mp) @ r.T + mg
        expected.append(np.linalg.norm(aligned - g, axis=-1))
    assert pa_mpjpe(pred, gt) == pytest.approx(np.mean(expected))


def test_procrustes_fits_on_masked_joints_only():
    gt = _random_poses(n=2, seed=5)
    pred = 0.5 * gt @ _rotation([0, 0, 1], 1.0).T
    pred[:, 4] += 1000.0  # an outlier at a masked-out joint
    mask = np.ones(gt.shape[:2], dtype=bool)
    mask[:, 4] = False
    assert pa_mpjpe(pred, gt, mask) == pytest.approx(0.0, abs=1e-8)
    assert pa_mpjpe(pred, gt) > 10.0
    aligned = align_procrustes(pred, gt, mask)
    np.testing.assert_allclose(aligned[mask], gt[mask], atol=1e-8)


def test_mirror_depth():
    gt = root_relative(_random_poses())
    mirrored = mirror_depth(gt)
    np.testing.assert_array_equal(mirrored[..., :2], gt[..., :2])
    np.testing.assert_array_equal(mirrored[..., 2], -gt[..., 2])
    # a pose away from the origin is mirrored about its root's depth
    shifted = gt + np.array([0.5, -0.2, 5000.0])
    np.testing.assert_allclose(mirror_depth(shifted) - shifted[:, :1],
                               mirrored, atol=1e-9)
    np.testing.assert_allclose(
        mirror_depth(shifted, root_index=2),
        root_relative(shifted, 2) * [1, 1, -1] + shifted[:, 2:3])


@pytest.mark.parametrize('alignment', ['procrustes', 'none'])
def test_depth_mirrored_mask(alignment):
    gt = root_relative(_random_poses(n=64, seed=8))
    assert not depth_mirrored_mask(gt, gt, alignment).any()
    mirrored = mirror_depth(gt)
    assert depth_mirrored_mask(mirrored, gt, alignment).all()
    half = np.concatenate((gt[:32], mirrored[32:]))
    mask = depth_mirrored_mask(half, gt, alignment)
    assert not mask[:32].any() and mask[32:].all()


def test_depth_mirrored_mask_ignores_rotation_and_scale_not_reflection():
    gt = root_relative(_random_poses(n=64, seed=9))
    rotation = _rotation([0.2, 1.0, -0.3], 2.0)
    pred = 3.0 * gt @ rotation.T
    np.testing.assert_allclose(joint_errors(pred, gt, alignment='procrustes'),
                               0.0, atol=1e-9)
    assert not depth_mirrored_mask(pred, gt).any()
    assert depth_mirrored_mask(3.0 * mirror_depth(gt) @ rotation.T, gt).all()


def test_pck3d_hand_values():
    assert pck3d(PRED, GT, threshold=3.5) == pytest.approx(200 / 3)
    # strict "<": the joint with exactly 3 mm error is not correct
    assert pck3d(PRED, GT, threshold=3.0) == pytest.approx(100 / 3)
    assert pck3d(PRED, GT, threshold=150.0) == pytest.approx(100.0)
    assert pck3d(PRED, GT, threshold=3.5,
                 mask=np.array([[False, True, True]])) == pytest.approx(50.0)


def test_auc_hand_values():
    # PCK at 0, 1, 5 -> 0, 1/3, 1
    assert auc_pck3d(PRED, GT, thresholds=[0, 1, 5]) == \
        pytest.approx(100 * 4 / 9)
    # Mehta's 31 thresholds 0..150 by 5: errors 0, 30, 200 mm are correct at
    # 30, 24 and 0 thresholds of 31
    pred = np.zeros((1, 3, 3))
    gt = np.array([[[0., 0., 0.], [30., 0., 0.], [0., 200., 0.]]])
    assert auc_pck3d(pred, gt) == pytest.approx(100 * 54 / 93)
    assert pck3d(pred, gt) == pytest.approx(200 / 3)


def test_pck_alignment_option():
    gt = _random_poses(seed=6)
    assert pck3d(0.01 * gt, gt, alignment='scale') == pytest.approx(100.0)
    assert pck3d(0.01 * gt, gt) < 50.0
    assert auc_pck3d(0.01 * gt, gt, alignment='procrustes') == \
        pytest.approx(100 * 30 / 31)


def test_xy_extent_alignment():
    gt = root_relative(_random_poses(seed=7))
    pred = gt * np.array([1., 1., 0.5]) / 123.0  # depth squashed, rescaled
    aligned = align_xy_extent(pred, gt)
    np.testing.assert_allclose(aligned[..., :2], gt[..., :2])
    np.testing.assert_allclose(aligned[..., 2], 0.5 * gt[..., 2])


@pytest.mark.parametrize('fn', [mpjpe, n_mpjpe, pa_mpjpe, pck3d, auc_pck3d])
def test_bad_inputs_raise(fn):
    with pytest.raises(ValueError, match='shape'):
        fn(PRED[..., :2], GT[..., :2])
    with pytest.raises(ValueError, match='shape'):
        fn(PRED, GT[:, :2])
    with pytest.raises(ValueError, match='no joints'):
        fn(PRED, GT, mask=np.zeros((1, 3), dtype=bool))
    bad = PRED.copy()
    bad[0, 1, 1] = np.nan
    with pytest.raises(ValueError, match='NaN'):
        fn(bad, GT)


def test_unknown_alignment_raises():
    with pytest.raises(ValueError, match='alignment'):
        joint_errors(PRED, GT, alignment='rigid')


# A chiral tetrahedron (all edges differ): its mirror image is no rotation of it.
CHIRAL_GT = np.array([[[0., 0., 0.], [1., 0., 0.], [0., 2., 0.], [0., 0., 3.]]])


def test_reflection_allowed_procrustes_undoes_a_mirror_and_plain_does_not():
    from tipsy_gan.core.pose_metrics import pa_mpjpe_reflection
    mirrored = CHIRAL_GT * [1., 1., -1.]  # z -> -z: det -1, no rotation
    assert pa_mpjpe_reflection(mirrored, CHIRAL_GT) < 1e-9
    assert pa_mpjpe(mirrored, CHIRAL_GT) > 0.1
    # the same for poses, scaled, rotated and moved after the mirror
    gt = _random_poses()
    pred = 0.3 * mirror_depth(gt) @ _rotation([1, 2, 3], 0.7).T + 5.0
    assert pa_mpjpe_reflection(pred, gt) < 1e-6
    assert pa_mpjpe(pred, gt) > 10.0
    assert joint_errors(pred, gt, alignment='procrustes_reflection').max() < 1e-6


def test_reflection_allowed_procrustes_is_procrustes_when_no_mirror_fits_better():
    rng = np.random.default_rng(3)
    gt = _random_poses(n=20)
    pred = gt @ _rotation([0, 1, 0], 0.4).T + rng.normal(scale=30.0,
                                                         size=gt.shape)
    plain = joint_errors(pred, gt, alignment='procrustes')
    reflect = joint_errors(pred, gt, alignment='procrustes_reflection')
    np.testing.assert_allclose(reflect, plain, rtol=1e-12, atol=1e-9)
    # and never worse: it fits over a larger set of matrices
    either = mirror_depth(pred)
    assert (joint_errors(either, gt, alignment='procrustes_reflection').mean(1)
            <= joint_errors(either, gt, alignment='procrustes').mean(1)
            + 1e-9).all()
    np.testing.assert_allclose(
        align_procrustes(pred, gt, allow_reflection=True),
        align_procrustes(pred, gt), atol=1e-9)


# ------------------------------------------------------ oracle-sign error
def test_oracle_sign_undoes_a_flipped_part_and_nothing_else():
    """A pose whose legs alone are flipped in depth about the root scores
    zero oracle-sign error but a real PA-MPJPE; a shape error stays."""
    from tipsy_gan.core.pose_metrics import (TIPSY_PARTS, flip_part_depths,
                                             pa_mpjpe_oracle_sign)
    gt = root_relative(_random_poses(n=6, seed=3))
    legs_flipped = flip_part_depths(gt, TIPSY_PARTS, [True, False])
    assert pa_mpjpe(legs_flipped, gt) > 10.0
    assert pa_mpjpe_oracle_sign(legs_flipped, gt) < 1e-6
    # every combination, the whole-pose mirror included
    for flips in ([False, True], [True, True]):
        assert pa_mpjpe_oracle_sign(
            flip_part_depths(gt, TIPSY_PARTS, flips), gt) < 1e-6
    # a shape error is left: never above PA-MPJPE, and above zero
    noisy = gt + np.random.default_rng(4).normal(scale=20.0, size=gt.shape)
    assert 0.0 < pa_mpjpe_oracle_sign(noisy, gt) <= pa_mpjpe(noisy, gt)
    # flipping twice is the identity
    np.testing.assert_allclose(
        flip_part_depths(legs_flipped, TIPSY_PARTS, [True, False]), gt,
        atol=1e-9)


def test_oracle_sign_metric_is_reported_by_the_mmpose_metric():
    from tipsy_gan.core.pose_metrics import TIPSY_PARTS, flip_part_depths
    from tipsy_gan.evaluation.metrics import TIPSyPoseErrorMetric
    gt = root_relative(_random_poses(n=4, seed=5))
    pred = flip_part_depths(gt, TIPSY_PARTS, [False, True])
    metric = TIPSyPoseErrorMetric(modes=('pa-mpjpe', 'pa-mpjpe-oracle-sign'),
                                  per_action=False, unit_to_mm=1.0)
    results = metric.results_from_arrays(pred, gt, np.ones((4, 17), bool),
                                         ['S9_Walking_1.1_000001.jpg'] * 4)
    values = metric.compute_metrics(results)
    assert values['PA-MPJPE'] > 10.0
    assert values['PA-MPJPE-oracle-sign'] < 1e-6
