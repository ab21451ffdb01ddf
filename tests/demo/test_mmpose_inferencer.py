"""The same chain the MMPose way: MMPoseInferencer(pose2d=..., pose3d=the
TIPSy lifter config, pose3d_weights=the published student)."""
import json

import cv2
import numpy as np
import torch
from mmpose.apis import (MMPoseInferencer, convert_keypoint_definition,
                         inference_topdown)

from tipsy_gan.apis.lifting import lift_h36m, to_display_frame
from tipsy_gan.paths import DEFAULT_LIFTER_CONFIG, PUBLISHED_STUDENT
from conftest import HRNET_CONFIG


def test_mmpose_inferencer_lifts_with_tipsy(fixture_frames, tmp_path):
    inferencer = MMPoseInferencer(
        pose2d=str(HRNET_CONFIG), pose3d=str(DEFAULT_LIFTER_CONFIG),
        pose3d_weights=str(PUBLISHED_STUDENT), det_model='whole_image',
        device='cpu')
    frame = fixture_frames[0]
    result = next(inferencer(str(frame), vis_out_dir=str(tmp_path / 'vis'),
                             pred_out_dir=str(tmp_path / 'pred'),
                             return_vis=True))
    [[person]] = result['predictions']
    keypoints_3d = np.array(person['keypoints'])
    assert keypoints_3d.shape == (17, 3)
    # its picture: the image beside one 3D plot, written as MMPose does
    [picture] = result['visualization']
    assert picture.shape == (1002, 2004, 3)
    assert cv2.imread(str(tmp_path / 'vis' / frame.name)).shape == \
        picture.shape
    saved = json.loads((tmp_path / 'pred' / f'{frame.stem}.json').read_text())
    np.testing.assert_allclose(saved[0]['keypoints'], keypoints_3d,
                               atol=1e-4)
    # it is TIPSy's 3D of the inferencer's own 2D keypoints: MMPose moves
    # the whole-image box to its Human3.6M average (scale 400 / 1002 here)
    # and turns the axes; TIPSy's lifting is scale- and shift-free
    pose2d = inferencer.inferencer.pose2d_model.model
    [sample] = inference_topdown(pose2d, str(frame))
    h36m = convert_keypoint_definition(sample.pred_instances.keypoints,
                                       'coco', 'h36m')
    ours = lift_h36m(inferencer.inferencer.model, torch.from_numpy(h36m))
    expected = to_display_frame(ours.numpy()) * (400.0 / 1002.0)
    np.testing.assert_allclose(keypoints_3d, expected[0], rtol=1e-3,
                               atol=0.05)
