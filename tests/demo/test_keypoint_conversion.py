"""COCO-17 -> Human3.6M-17 as MMPose converts it, scores as the minimum of
their sources, the low-confidence policy, and layouts that cannot convert."""
import numpy as np
import pytest
import torch
from mmpose.apis import convert_keypoint_definition
from mmpose.datasets.datasets.utils import parse_pose_metainfo

from tipsy_gan.apis.chain import ImageTo3D, coco_metainfo
from tipsy_gan.apis.keypoint_conversion import (
    COCO, H36M, UnsupportedKeypointLayout, keypoint_layout, lifting_mask,
    skip_reason, to_h36m)
from tipsy_gan.core.skeleton import H36M_JOINT_NAMES

NAME = {name: i for i, name in enumerate(H36M_JOINT_NAMES)}
LEFT_EAR, LEFT_EYE, LEFT_HIP = 3, 1, 11


def random_coco(num_people=3, seed=0):
    rng = np.random.default_rng(seed)
    keypoints = rng.uniform(0, 500, (num_people, 17, 2)).astype(np.float32)
    scores = rng.uniform(0.5, 1.0, (num_people, 17)).astype(np.float32)
    return keypoints, scores


def test_coordinates_are_mmpose_convert_keypoint_definition():
    keypoints, scores = random_coco()
    ours, _ = to_h36m(torch.from_numpy(keypoints), torch.from_numpy(scores),
                      COCO)
    mmpose = convert_keypoint_definition(keypoints, 'coco', 'h36m')
    np.testing.assert_allclose(ours.numpy(), mmpose, rtol=1e-6, atol=1e-4)


def test_a_derived_joint_scores_the_minimum_of_its_sources():
    keypoints, scores = random_coco(1)
    _, converted = to_h36m(torch.from_numpy(keypoints),
                           torch.from_numpy(scores), COCO)
    converted = converted[0].numpy()
    s = scores[0]
    assert converted[NAME['root']] == min(s[11], s[12])
    assert converted[NAME['thorax']] == min(s[5], s[6])
    assert converted[NAME['spine']] == min(s[5], s[6], s[11], s[12])
    assert converted[NAME['head']] == min(s[1], s[2])
    assert converted[NAME['neck_base']] == s[0]
    assert converted[NAME['right_wrist']] == s[10]


def test_h36m_keypoints_pass_through():
    keypoints = torch.rand(2, 17, 2)
    scores = torch.rand(2, 17)
    out, out_scores = to_h36m(keypoints, scores, H36M)
    assert torch.equal(out, keypoints) and torch.equal(out_scores, scores)


def test_policy_skips_a_person_with_a_low_required_keypoint_only():
    keypoints, scores = random_coco(3)
    scores[0, LEFT_EAR] = 0.05  # the ears are not used: still lifted
    scores[1, LEFT_EYE] = 0.05  # the head is mid-eyes: skipped
    scores[2, LEFT_HIP] = 0.05  # root, left hip and spine: skipped
    h36m, h36m_scores = to_h36m(torch.from_numpy(keypoints),
                                torch.from_numpy(scores), COCO)
    assert lifting_mask(h36m, h36m_scores, 0.3).tolist() == [True, False,
                                                             False]
    assert lifting_mask(h36m, h36m_scores, None).all()
    reason = skip_reason(h36m[1], h36m_scores[1], 0.3)
    assert 'head 0.05' in reason and 'below --min-keypoint-score 0.3' \
        in reason
    reason = skip_reason(h36m[2], h36m_scores[2], 0.3)
    for joint in ('root', 'left_hip', 'spine'):
        assert f'{joint} 0.05' in reason
    assert 'right_hip' not in reason


def test_policy_skips_a_degenerate_pose_even_without_a_threshold():
    keypoints = torch.full((1, 17, 2), 7.0)
    assert not lifting_mask(keypoints, torch.ones(1, 17), None).any()
    assert 'degenerate' in skip_reason(keypoints[0], torch.ones(17), None)


def test_layouts_by_keypoint_names():
    assert keypoint_layout(coco_metainfo()) == COCO
    assert keypoint_layout(parse_pose_metainfo(
        dict(from_file='configs/_base_/datasets/h36m.py'))) == H36M
    with pytest.raises(UnsupportedKeypointLayout,
                       match=r"'mpii', 16 keypoints.*cannot be converted"):
        keypoint_layout(parse_pose_metainfo(
            dict(from_file='configs/_base_/datasets/mpii.py')))
    with pytest.raises(UnsupportedKeypointLayout, match='133 keypoints'):
        keypoint_layout(parse_pose_metainfo(
            dict(from_file='configs/_base_/datasets/coco_wholebody.py')))


def test_a_2d_model_of_another_layout_stops_before_any_frame(tmp_path):
    config = tmp_path / 'mpii_res50.py'
    config.write_text(
        "_base_ = ['mmpose::body_2d_keypoint/topdown_heatmap/mpii/"
        "td-hm_res50_8xb64-210e_mpii-256x256.py']\n"
        'model = dict(backbone=dict(init_cfg=None))\n')
    with pytest.raises(UnsupportedKeypointLayout,
                       match=r"'mpii', 16 keypoints.*COCO's 17"):
        ImageTo3D(config, None)
