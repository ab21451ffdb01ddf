import numpy as np
import pytest
import torch

from tipsy_gan.core.normalization import normalize_pose_2d


def _random_poses(shape, seed=0):
    return np.random.default_rng(seed).uniform(100, 900, size=shape + (2, ))


def test_hand_computed_pose():
    pose = np.array([[10., 20.], [13., 16.], [11., 22.]])
    normalised, scale, root = normalize_pose_2d(pose)
    # centred: (0,0), (3,-4), (1,2); largest |coordinate| is 4
    assert scale == pytest.approx(4.0)
    np.testing.assert_allclose(root, [10., 20.])
    np.testing.assert_allclose(normalised, [[0, 0], [0.75, -1.0], [0.25, 0.5]])


def test_root_at_origin_and_unit_max_for_batches():
    poses = _random_poses((4, 3, 17))
    normalised, scale, root = normalize_pose_2d(poses)
    assert normalised.shape == (4, 3, 17, 2)
    assert scale.shape == (4, 3) and root.shape == (4, 3, 2)
    np.testing.assert_array_equal(normalised[..., 0, :], 0.0)
    np.testing.assert_allclose(np.abs(normalised).max(axis=(-2, -1)), 1.0)
    assert np.all(np.abs(normalised) <= 1.0)
    # one scale for both axes: aspect ratio kept
    centred = poses - poses[..., :1, :]
    np.testing.assert_allclose(normalised * scale[..., None, None], centred)


def test_other_root_index():
    poses = _random_poses((5, 17), seed=1)
    normalised, _, root = normalize_pose_2d(poses, root_index=3)
    np.testing.assert_array_equal(normalised[:, 3], 0.0)
    np.testing.assert_allclose(root, poses[:, 3])


def test_torch_matches_numpy():
    poses = _random_poses((6, 17), seed=3).astype(np.float32)
    n_np, s_np, r_np = normalize_pose_2d(poses)
    n_t, s_t, r_t = normalize_pose_2d(torch.from_numpy(poses))
    assert isinstance(n_t, torch.Tensor) and n_t.dtype == torch.float32
    np.testing.assert_allclose(n_t.numpy(), n_np, rtol=1e-6)
    np.testing.assert_allclose(s_t.numpy(), s_np, rtol=1e-6)
    np.testing.assert_allclose(r_t.numpy(), r_np)


def test_integer_input_becomes_float():
    normalised, scale, _ = normalize_pose_2d(np.array([[0, 0], [2, 1]]))
    assert np.issubdtype(normalised.dtype, np.floating)
    np.testing.assert_allclose(normalised, [[0, 0], [1, 0.5]])
    assert scale == 2


@pytest.mark.parametrize('shape', [(17, 3), (17, ), (2, )])
def test_wrong_shape_raises(shape):
    with pytest.raises(ValueError, match=r'shape \(\.\.\., K, 2\)'):
        normalize_pose_2d(np.ones(shape))


def test_root_index_out_of_range_raises():
    with pytest.raises(ValueError, match='root_index'):
        normalize_pose_2d(np.ones((3, 2)), root_index=3)


@pytest.mark.parametrize('bad', [np.nan, np.inf, -np.inf])
def test_non_finite_raises(bad):
    poses = _random_poses((2, 17))
    poses[1, 5, 0] = bad
    with pytest.raises(ValueError, match='NaN or inf'):
        normalize_pose_2d(poses)
    with pytest.raises(ValueError, match='NaN or inf'):
        normalize_pose_2d(torch.from_numpy(poses))


def test_degenerate_pose_raises_and_names_it():
    poses = _random_poses((3, 17))
    poses[2] = 42.0  # every joint on the root
    with pytest.raises(ValueError, match=r'degenerate.*\[2\]'):
        normalize_pose_2d(poses)
    with pytest.raises(ValueError, match='degenerate'):
        normalize_pose_2d(torch.from_numpy(poses))
    with pytest.raises(ValueError, match='degenerate'):
        normalize_pose_2d(np.zeros((17, 2)))

