"""The demo's 3D panel: a camera view that matches the image and a side view
that shows the depth, both upright and labelled."""
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from tipsy_gan.apis.lifting import to_display_frame
from tipsy_gan.core.skeleton import BONES, HEAD, LEFT_FOOT, RIGHT_FOOT
from tipsy_gan.visualization.pose3d_views import (VIEWS, draw_views,
                                                  project, render_views)

CAMERA, SIDE = VIEWS


@pytest.fixture(scope='module')
def standing(fixture_dir):
    """The S1 fixture frame's ground-truth 3D, camera axes (x right, y down,
    z away), root-relative."""
    with np.load(fixture_dir / 'test_h36m_body3d.npz') as data:
        pose = data['S'][0, :, :3]
    return pose - pose[:1]


def test_the_camera_view_is_the_image_and_the_side_view_the_depth(standing):
    display = to_display_frame(standing)
    camera, _ = project(display, CAMERA)
    side, _ = project(display, SIDE)
    # across: the image's x in the camera view, the depth in the side view
    np.testing.assert_allclose(camera[:, 0], standing[:, 0], atol=1e-9)
    np.testing.assert_allclose(side[:, 0], standing[:, 2], atol=1e-9)
    # up is up (image y points down) in both, slightly from above
    for screen in (camera, side):
        assert np.corrcoef(screen[:, 1], -standing[:, 1])[0, 1] > 0.99
        feet = screen[[LEFT_FOOT, RIGHT_FOOT], 1].max()
        assert screen[HEAD, 1] > feet


def test_the_views_are_labelled_and_the_side_view_shows_depth(standing):
    figure = Figure(figsize=(6, 6), dpi=100)
    FigureCanvasAgg(figure)
    axes = draw_views(figure, to_display_frame(standing), skeleton=BONES)
    assert [ax.get_title() for ax in axes] == [
        'camera view', 'side view (camera on the left)']

    def drawn_width(pose):
        """The side view's skeleton width, in pixels (links are blue)."""
        picture = render_views(to_display_frame(pose), 600, 600,
                               skeleton=BONES).astype(int)
        side = picture[:, 300:]
        blue = (side[..., 2] > 150) & (side[..., 0] < 100)
        columns = np.flatnonzero(blue.any(0))
        return columns.max() - columns.min()

    flat = standing.copy()
    flat[:, 2] = 0  # zero depth: seen from the side, one vertical line
    assert drawn_width(flat) < 10
    # the real pose's depth spread, at the views' shared scale
    assert drawn_width(standing) > 80


def test_a_pose_without_finite_joints_gets_empty_views():
    picture = render_views(np.full((17, 3), np.nan), 200, 200,
                           skeleton=BONES)
    assert picture.shape == (200, 200, 3)
    # only the titles are drawn: nothing below them
    assert (picture[40:] == 255).all()


def test_the_visualizer_draws_both_views_for_each_person(standing):
    from mmengine.structures import InstanceData
    from mmpose.structures import PoseDataSample

    from tipsy_gan.apis.lifting import load_pose_lifter
    from tipsy_gan.visualization import TIPSyPose3dVisualizer
    visualizer = TIPSyPose3dVisualizer(name='test_pose3d_views')
    visualizer.set_dataset_meta(load_pose_lifter().dataset_meta)
    poses = np.stack([to_display_frame(standing),
                      np.full((17, 3), np.nan)])  # the second not lifted
    sample = PoseDataSample(pred_instances=InstanceData(
        keypoints=poses, keypoint_scores=np.ones((2, 17))))
    panels = visualizer._draw_3d_data_samples(
        np.zeros((120, 300, 3), np.uint8), sample)
    assert panels.shape == (300, 600, 3)  # two square panels
    drawn = (panels.min(-1) < 200)[40:]  # below the titles
    first, second = drawn[:, :300], drawn[:, 300:]
    assert first[:, :150].sum() > 100 and first[:, 150:].sum() > 100
    assert not second.any()
