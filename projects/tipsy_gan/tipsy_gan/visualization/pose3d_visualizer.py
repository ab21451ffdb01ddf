"""MMPose's ``Pose3dLocalVisualizer``, made to work with TIPSy and this stack.

The 2D drawing, its colours and the layout (the image, then the 3D panels)
are MMPose's. Changed:

- NumPy >= 2.4 refuses ``int()`` of the size-1 radius array MMPose passes to
  the OpenCV backend's ``draw_circles`` (TypeError): the 2D keypoints could
  not be drawn. The radius is passed as a number.
- The 3D panels. MMPose draws one 3D plot of every person (it fails for more
  than one here), from an azimuth that is nearly the camera's, at a fixed
  axis limit in metres; TIPSy's 3D has no metric scale (pixel units) and
  seen from the camera its depth does not show. Each person gets a panel of
  their own with two labelled views of their pose at one scale, the camera
  view and a side view that shows the depth
  (:mod:`tipsy_gan.visualization.pose3d_views`).

Every 3D panel is ``max(H, W)`` square, and there are always
``num_instances`` of them (blank ones pad; -1: one per person, at least one;
a person without 3D keypoints, all NaN, gets a blank one), so video frames
keep one size.
"""
import numpy as np
from mmengine.structures import InstanceData
from mmpose.registry import VISUALIZERS
from mmpose.visualization import Pose3dLocalVisualizer

from .pose3d_views import render_views


def panel_style(size: int) -> dict:
    """Title font (points), line width (points) and marker area (points²)
    for a ``size`` pixels square panel (100 dpi)."""
    return dict(font_size=max(5.0, 0.02 * size),
                line_width=max(1.0, size / 330),
                marker_size=max(4.0, (size / 160)**2))


@VISUALIZERS.register_module()
class TIPSyPose3dVisualizer(Pose3dLocalVisualizer):
    """``Pose3dLocalVisualizer`` for scale-free lifters (see the module)."""

    def draw_circles(self, center, radius, *args, **kwargs):
        if self.backend == 'opencv' and np.ndim(radius) > 0:
            radius = np.asarray(radius).reshape(-1)[0].item()
        return super().draw_circles(center, radius, *args, **kwargs)

    def _draw_3d_data_samples(self, image, pose_samples, draw_gt=True,
                              kpt_thr=0.3, num_instances=-1,
                              scores_2d=None, **kwargs):
        """Predictions only (``draw_gt`` is ignored), one panel a person.

        Every finite joint of a 3D pose is drawn: which people to lift was
        decided on their 2D scores before lifting, so ``kpt_thr`` and
        ``scores_2d`` are not used again here; neither are MMPose's axis
        options (``axis_azimuth`` etc.). A person with NaN keypoints gets a
        blank panel.
        """
        size = max(image.shape[:2])
        instances = pose_samples.get('pred_instances', InstanceData())
        count = len(instances) if 'keypoints' in instances else 0
        if num_instances < 0:
            num_instances = max(count, 1)
        panels = []
        for index in range(num_instances):
            keypoints = np.asarray(instances.keypoints[index], np.float64) \
                if index < count else None
            if keypoints is None or not np.isfinite(keypoints).any():
                # padding, or a person not lifted
                panels.append(np.full((size, size, 3), 255, np.uint8))
                continue
            panels.append(render_views(
                keypoints, size, size, skeleton=self.skeleton,
                kpt_colors=self.kpt_color, link_colors=self.link_color,
                **panel_style(size)))
        return np.concatenate(panels, axis=1)
