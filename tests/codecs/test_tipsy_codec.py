import numpy as np
import pytest


from mmpose.registry import KEYPOINT_CODECS  # noqa: E402

from tipsy_gan.codecs import TIPSyLiftingCodec  # noqa: E402
from tipsy_gan.core.normalization import normalize_pose_2d  # noqa: E402


@pytest.fixture(scope='module')
def fixture_frames(shared):
    data = np.load(shared / 'data' / 'mmpose_h36m_fixture' /
                   'test_h36m_body3d.npz')
    return dict(
        keypoints=data['part'][..., :2].astype(np.float32),
        keypoints_visible=data['part'][..., 2].astype(np.float32),
        lifting_target=data['S'][..., :3].astype(np.float32),
        lifting_target_visible=data['S'][..., 3].astype(np.float32))


@pytest.fixture
def codec():
    return KEYPOINT_CODECS.build(dict(type='TIPSyLiftingCodec',
                                      num_keypoints=17))


def test_registry_build(codec):
    assert isinstance(codec, TIPSyLiftingCodec)
    assert codec.root_index == 0 and codec.remove_root
    assert codec.num_output_keypoints == 16


def test_encode_shapes_and_normalisation(codec, fixture_frames):
    encoded = codec.encode(**fixture_frames)
    n = fixture_frames['keypoints'].shape[0]
    assert encoded['keypoint_labels'].shape == (n, 16, 2)
    assert encoded['keypoint_labels'].dtype == np.float32
    assert encoded['keypoint_labels_visible'].shape == (n, 16)
    assert encoded['keypoints_2d_scale'].shape == (n, )
    assert encoded['keypoints_2d_root'].shape == (n, 2)
    assert encoded['lifting_target_label'].shape == (n, 16, 3)
    assert encoded['lifting_target_weight'].shape == (n, 16)
    # in [-1, 1] with one joint touching the bound, per pose
    np.testing.assert_allclose(
        np.abs(encoded['keypoint_labels']).max(axis=(1, 2)), 1.0, rtol=1e-6)
    np.testing.assert_allclose(encoded['keypoints_2d_root'],
                               fixture_frames['keypoints'][:, 0])
    # the 3D target is root-relative, in metres, root row dropped
    target = fixture_frames['lifting_target']
    np.testing.assert_allclose(encoded['lifting_target_label'],
                               (target - target[:, :1])[:, 1:], atol=1e-6)
    # H36M bodies are 1-2 m tall; a pixel scale is hundreds of pixels
    assert np.all(encoded['keypoints_2d_scale'] > 50)


def test_encode_matches_core_function(codec, fixture_frames):
    encoded = codec.encode(fixture_frames['keypoints'])
    normalised, scale, _ = normalize_pose_2d(fixture_frames['keypoints'])
    np.testing.assert_allclose(encoded['keypoint_labels'], normalised[:, 1:])
    np.testing.assert_allclose(encoded['keypoints_2d_scale'], scale)
    assert 'lifting_target_label' not in encoded


def test_round_trip_recovers_root_relative_pixels(codec, fixture_frames):
    """decode(encode(2D) + depth) gives back the pixel pose, root at 0."""
    keypoints = fixture_frames['keypoints']
    encoded = codec.encode(keypoints)
    depth = np.linspace(-0.5, 0.5, 16, dtype=np.float32)
    lifted = np.concatenate([
        encoded['keypoint_labels'],
        np.broadcast_to(depth[None, :, None], (len(keypoints), 16, 1))
    ], axis=-1)
    decoded, scores = codec.decode(lifted, encoded['keypoints_2d_scale'])
    assert decoded.shape == (len(keypoints), 17, 3)
    assert scores.shape == (len(keypoints), 17) and np.all(scores == 1)
    np.testing.assert_array_equal(decoded[:, 0], 0.0)
    np.testing.assert_allclose(decoded[..., :2],
                               keypoints - keypoints[:, :1], atol=1e-3)
    # depth is scaled by the same 2D scale
    np.testing.assert_allclose(
        decoded[:, 1:, 2],
        depth[None] * encoded['keypoints_2d_scale'][:, None], rtol=1e-6)


def test_decode_per_sample_like_a_head(codec, fixture_frames):
    """MMPose heads decode one sample at a time: (1, K-1, 3) and (1,)."""
    encoded = codec.encode(fixture_frames['keypoints'][:1])
    lifted = np.concatenate(
        [encoded['keypoint_labels'], np.zeros((1, 16, 1), np.float32)], -1)
    decoded, _ = codec.decode(lifted, encoded['keypoints_2d_scale'])
    assert decoded.shape == (1, 17, 3)
    # without a scale the normalised units are kept
    unscaled, _ = codec.decode(lifted)
    assert np.abs(unscaled[..., :2]).max() == pytest.approx(1.0)


def test_decode_full_skeleton_output_is_made_root_relative(codec):
    full = np.random.default_rng(0).uniform(-1, 1, (2, 17, 3))
    decoded, _ = codec.decode(full, np.array([2.0, 3.0]))
    np.testing.assert_allclose(
        decoded, (full - full[:, :1]) * np.array([2.0, 3.0])[:, None, None],
        rtol=1e-6)


def test_keep_root_option(fixture_frames):
    keep = TIPSyLiftingCodec(num_keypoints=17, remove_root=False)
    encoded = keep.encode(**fixture_frames)
    assert encoded['keypoint_labels'].shape == (4, 17, 2)
    np.testing.assert_array_equal(encoded['keypoint_labels'][:, 0], 0.0)
    assert encoded['lifting_target_label'].shape == (4, 17, 3)


def test_target_weights_follow_visibility(codec, fixture_frames):
    visible = fixture_frames['lifting_target_visible'].copy()
    visible[0, 3] = 0.0
    encoded = codec.encode(fixture_frames['keypoints'],
                           lifting_target=fixture_frames['lifting_target'],
                           lifting_target_visible=visible)
    assert encoded['lifting_target_weight'][0, 2] == 0.0  # joint 3, root gone
    assert encoded['lifting_target_weight'].sum() == 4 * 16 - 1


def test_bad_inputs_raise(codec, fixture_frames):
    keypoints = fixture_frames['keypoints']
    with pytest.raises(ValueError, match='keypoints must have shape'):
        codec.encode(keypoints[:, :16])
    with pytest.raises(ValueError, match='keypoints must have shape'):
        codec.encode(np.concatenate([keypoints, keypoints[..., :1]], -1))
    degenerate = keypoints.copy()
    degenerate[1] = degenerate[1, 0]
    with pytest.raises(ValueError, match='degenerate'):
        codec.encode(degenerate)
    nan = keypoints.copy()
    nan[0, 4, 1] = np.nan
    with pytest.raises(ValueError, match='NaN'):
        codec.encode(nan)
    with pytest.raises(ValueError, match='lifting_target must have shape'):
        codec.encode(keypoints, lifting_target=np.zeros((4, 17, 2)))
    with pytest.raises(ValueError, match='joints'):
        codec.decode(np.zeros((1, 15, 3)))
    with pytest.raises(ValueError, match='poses'):
        codec.decode(np.zeros((3, 16, 3)), np.ones(2))
    with pytest.raises(ValueError, match='> 0'):
        codec.decode(np.zeros((1, 16, 3)), np.zeros(1))
    with pytest.raises(ValueError, match='root_index'):
        TIPSyLiftingCodec(num_keypoints=17, root_index=17)


def test_generate_target_and_pack_inputs(codec, fixture_frames):
    """The codec runs inside MMPose's own pipeline transforms."""
    from mmpose.datasets.transforms import GenerateTarget, PackPoseInputs
    frame = {k: v[:1] for k, v in fixture_frames.items()}
    results = dict(frame, target_img_path=['S1_Directions_1.54138969_1.jpg'])
    results = GenerateTarget(encoder=dict(type='TIPSyLiftingCodec',
                                          num_keypoints=17))(results)
    packed = PackPoseInputs(meta_keys=('target_img_path', ))(results)
    assert tuple(packed['inputs'].shape) == (1, 16, 2)
    sample = packed['data_samples']
    assert sample.gt_instances.keypoints_2d_scale.shape == (1, )
    assert sample.gt_instances.lifting_target.shape == (1, 17, 3)
    assert tuple(sample.gt_instance_labels.lifting_target_label.shape) == \
        (1, 16, 3)
