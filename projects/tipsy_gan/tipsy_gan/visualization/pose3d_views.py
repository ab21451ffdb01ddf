"""A 3D pose drawn twice: as the camera sees it, and from the side.

Seen from the camera, a lifted pose looks like its 2D input: its depth does
not show. The side view (90 degrees round the vertical axis) shows the depth
along the horizontal axis. Both views are orthographic, slightly from above,
with a floor grid under the feet, and share one scale, so depth and height
compare directly.

Keypoints come in the frame MMPose's 3D demo and inferencer plot in
(:func:`tipsy_gan.apis.lifting.to_display_frame`): camera axes (x right, y
down, z away) become (-x, z, -y), z up. Azimuths are matplotlib's in that
frame:

- the camera view, azimuth 90 degrees, looks along the camera's axis:
  screen right is the image's right, up is up;
- the side view, azimuth 0: screen right is away from the camera (the
  camera is on the left), up is up.

Only NumPy and matplotlib: no MMPose.
"""
from typing import NamedTuple, Optional, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure


class View(NamedTuple):
    title: str
    elev: float  # degrees above the horizontal
    azim: float  # degrees round the vertical (matplotlib's convention)


VIEWS = (View('camera view', elev=10.0, azim=90.0),
         View('side view (camera on the left)', elev=10.0, azim=0.0))
MARGIN = 0.06  # room round the drawing, as a share of the pose's size
TITLE_SPACE = 0.08  # the top of the panel, for the views' titles
GRID_LINES = 5  # floor grid lines each way
GRID_COLOR = (0.82, 0.82, 0.82)


def project(keypoints: np.ndarray, view: View):
    """Orthographic projection of (..., 3) display-frame points.

    Returns ((..., 2) screen coordinates, x right and y up, in the points'
    units; (...) depth, larger nearer the viewer)."""
    elev, azim = np.radians(view.elev), np.radians(view.azim)
    toward_viewer = np.array([np.cos(elev) * np.cos(azim),
                              np.cos(elev) * np.sin(azim), np.sin(elev)])
    right = np.array([-np.sin(azim), np.cos(azim), 0.0])
    up = np.cross(toward_viewer, right)
    keypoints = np.asarray(keypoints, np.float64)
    screen = np.stack([keypoints @ right, keypoints @ up], axis=-1)
    return screen, keypoints @ toward_viewer


def floor_grid(keypoints: np.ndarray) -> np.ndarray:
    """(L, 2, 3) line segments of a square grid on the floor (the lowest
    joint's height) under the finite joints of a (K, 3) pose."""
    finite = keypoints[np.isfinite(keypoints).all(-1)]
    low, high = finite.min(0), finite.max(0)
    center = (low[:2] + high[:2]) / 2
    half = (max((high - low)[:2].max(), 0.3 * (high - low).max()) / 2 +
            MARGIN * (high - low).max())
    ticks = np.linspace(-half, half, GRID_LINES)
    lines = []
    for tick in ticks:
        lines.append([[center[0] + tick, center[1] - half, low[2]],
                      [center[0] + tick, center[1] + half, low[2]]])
        lines.append([[center[0] - half, center[1] + tick, low[2]],
                      [center[0] + half, center[1] + tick, low[2]]])
    return np.asarray(lines)


def draw_views(figure: Figure, keypoints: np.ndarray,
               skeleton: Optional[Sequence] = None, kpt_colors=None,
               link_colors=None, views: Sequence[View] = VIEWS,
               font_size: float = 12.0, line_width: float = 1.5,
               marker_size: float = 20.0):
    """Draw one (K, 3) display-frame pose into ``figure``, one axes per view,
    side by side; returns the axes.

    Colours are RGB in [0, 255], one per keypoint / link or one for all, or
    a matplotlib colour name. NaN joints and their links are left out; with
    no finite joint the views are empty. Links nearer the viewer are drawn
    over farther ones."""
    keypoints = np.asarray(keypoints, dtype=np.float64)
    finite = np.isfinite(keypoints).all(-1)
    kpt_colors = _colors(kpt_colors, len(keypoints), (255, 0, 0))
    skeleton = [] if skeleton is None else [tuple(s) for s in skeleton]
    link_colors = _colors(link_colors, len(skeleton), (0, 0, 255))
    width = 1.0 / len(views)
    axes = [figure.add_axes((index * width, 0.0, width, 1 - TITLE_SPACE))
            for index in range(len(views))]
    for ax, view in zip(axes, views):
        ax.set_axis_off()
        # set_title places text above the axes, inside the title space
        ax.set_title(view.title, fontsize=font_size)
    if not finite.any():
        return axes
    grid = floor_grid(keypoints)
    drawn = [(project(keypoints, view), project(grid, view)[0])
             for view in views]
    # one scale for every view: the largest that fits each view's drawing
    figure_width, figure_height = figure.get_size_inches()
    box_width = width * figure_width
    box_height = (1 - TITLE_SPACE) * figure_height
    size = max(np.ptp(keypoints[finite], axis=0).max(), 1e-6)
    spans = []
    for (screen, _), grid_screen in drawn:
        points = np.concatenate([screen[finite], grid_screen.reshape(-1, 2)])
        spans.append((points.min(0) - MARGIN * size,
                      points.max(0) + MARGIN * size))
    scale = min(min(box_width / (high[0] - low[0]),
                    box_height / (high[1] - low[1]))
                for low, high in spans)  # inches per unit
    for ax, ((screen, depth), grid_screen), (low, high) in zip(
            axes, drawn, spans):
        center = (low + high) / 2
        ax.set_xlim(center[0] - box_width / scale / 2,
                    center[0] + box_width / scale / 2)
        ax.set_ylim(center[1] - box_height / scale / 2,
                    center[1] + box_height / scale / 2)
        for segment in grid_screen:
            ax.plot(segment[:, 0], segment[:, 1], color=GRID_COLOR,
                    linewidth=max(line_width / 3, 0.5), zorder=0)
        links = [(depth[list(link)].mean(), link, color)
                 for link, color in zip(skeleton, link_colors)
                 if finite[list(link)].all()]
        # nearer links over farther ones
        for order, (_, link, color) in enumerate(sorted(
                links, key=lambda item: item[0])):
            ends = screen[list(link)]
            ax.plot(ends[:, 0], ends[:, 1], color=color / 255,
                    linewidth=line_width, solid_capstyle='round',
                    zorder=1 + order)
        ax.scatter(screen[finite, 0], screen[finite, 1],
                   c=kpt_colors[finite] / 255, s=marker_size,
                   zorder=2 + len(links))
    return axes


def render_views(keypoints: np.ndarray, width: int, height: int,
                 **kwargs) -> np.ndarray:
    """(height, width, 3) uint8 RGB picture of :func:`draw_views`."""
    figure = Figure(figsize=(width / 100, height / 100), dpi=100)
    FigureCanvasAgg(figure)
    draw_views(figure, keypoints, **kwargs)
    figure.canvas.draw()
    picture = np.asarray(figure.canvas.buffer_rgba())[..., :3]
    # the canvas rounds inches * dpi: keep the requested size exactly
    out = np.full((height, width, 3), 255, np.uint8)
    h, w = min(height, picture.shape[0]), min(width, picture.shape[1])
    out[:h, :w] = picture[:h, :w]
    return out


def _colors(colors, count: int, default) -> np.ndarray:
    if colors is None:
        colors = default
    elif isinstance(colors, str):
        colors = np.asarray(to_rgb(colors)) * 255
    colors = np.asarray(colors, np.float64).reshape(-1, 3)
    if len(colors) == 1:
        return np.tile(colors, (count, 1))
    if len(colors) != count:
        raise ValueError(f'{len(colors)} colours for {count} items')
    return colors
