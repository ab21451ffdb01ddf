"""MMPose's ``Pose3dLocalVisualizer``, made to work with TIPSy and this stack.

Three things stop MMPose 1.3.2's 3D visualizer here, each fixed below and
nothing else changed (the 2D drawing, colours, the 3D view and the side by
side layout are MMPose's):

- NumPy >= 2.4 refuses ``int()`` of the size-1 radius array MMPose passes to
  the OpenCV backend's ``draw_circles`` (TypeError): the 2D keypoints could
  not be drawn.
- matplotlib >= 3.10 removed ``FigureCanvasAgg.tostring_rgb``, which the 3D
  plot reads its pixels with: it is provided while MMPose draws.
- MMPose's axes are fixed at ``axis_limit`` (1.7, metres) and TIPSy's 3D has
  no metric scale (pixel units): each pose is scaled for display only, to
  ``DISPLAY_FILL`` of the axis limit. (MMPose's plot of more than one
  person fails, so each person is drawn in its own panel, side by side.)

Every 3D panel is ``max(H, W)`` square, and there are always
``num_instances`` of them (blank ones pad; -1: one per person, at least one;
a person without 3D keypoints, all NaN, gets a blank one),
so video frames keep one size.
"""
import contextlib

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from mmengine.structures import InstanceData
from mmpose.registry import VISUALIZERS
from mmpose.structures import PoseDataSample
from mmpose.visualization import Pose3dLocalVisualizer

# The largest extent of a displayed pose, as a share of the axis limit.
DISPLAY_FILL = 0.9


@contextlib.contextmanager
def _canvas_tostring_rgb():
    """``FigureCanvasAgg.tostring_rgb`` for as long as MMPose draws."""
    if hasattr(FigureCanvasAgg, 'tostring_rgb'):
        yield
        return
    FigureCanvasAgg.tostring_rgb = (
        lambda canvas: np.asarray(canvas.buffer_rgba())[..., :3].tobytes())
    try:
        yield
    finally:
        del FigureCanvasAgg.tostring_rgb


def fit_to_axes(keypoints: np.ndarray, axis_limit: float) -> np.ndarray:
    """(N, K, 3) poses each scaled about the origin so that its largest
    extent is ``DISPLAY_FILL * axis_limit`` (NaN joints ignored)."""
    keypoints = np.asarray(keypoints, dtype=np.float64)
    fitted = keypoints.copy()
    for index, pose in enumerate(keypoints):
        finite = pose[np.isfinite(pose).all(-1)]
        if len(finite):
            extent = (finite.max(0) - finite.min(0)).max()
            if extent > 0:
                fitted[index] = pose * (DISPLAY_FILL * axis_limit / extent)
    return fitted


@VISUALIZERS.register_module()
class TIPSyPose3dVisualizer(Pose3dLocalVisualizer):
    """``Pose3dLocalVisualizer`` for scale-free lifters (see the module)."""

    def draw_circles(self, center, radius, *args, **kwargs):
        if self.backend == 'opencv' and np.ndim(radius) > 0:
            radius = np.asarray(radius).reshape(-1)[0].item()
        return super().draw_circles(center, radius, *args, **kwargs)

    def _draw_3d_data_samples(self, image, pose_samples, draw_gt=True,
                              kpt_thr=0.3, num_instances=-1,
                              axis_limit=1.7, scores_2d=None, **kwargs):
        """Predictions only (``draw_gt`` is ignored), one panel a person.

        Every finite joint of a 3D pose is drawn: which people to lift was
        decided on their 2D scores before lifting, so ``scores_2d`` is not
        used again here. A person with NaN keypoints gets a blank panel.
        """
        size = max(image.shape[:2])
        instances = pose_samples.get('pred_instances', InstanceData())
        count = len(instances) if 'keypoints' in instances else 0
        if num_instances < 0:
            num_instances = max(count, 1)
        panels = []
        for index in range(num_instances):
            person = instances[index:index + 1].clone() if index < count \
                else None
            if person is None or not np.isfinite(person.keypoints).any():
                # padding, or a person not lifted (MMPose would plot NaN)
                panels.append(np.full((size, size, 3), 255, np.uint8))
                continue
            person.keypoints = fit_to_axes(person.keypoints, axis_limit)
            with _canvas_tostring_rgb():
                panels.append(super()._draw_3d_data_samples(
                    image, PoseDataSample(pred_instances=person),
                    draw_gt=False, kpt_thr=kpt_thr, num_instances=1,
                    axis_limit=axis_limit, scores_2d=None, **kwargs))
        return np.concatenate(panels, axis=1)
