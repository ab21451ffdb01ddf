"""Human3.6M poses rebuilt from the exponential-map release (pure NumPy).

The release stores joint rotations as axis-angle vectors and the root motion as
per-frame deltas; the absolute starting orientation is lost. This module does
the forward kinematics, integrates the root, estimates each sequence's starting
tilt from floor contact and places the sequence in the Human3.6M world frame
(metres, z up). See ``docs/h36m_expmap_notes.md`` in the shared folder.
"""
import gzip
import hashlib
import io
import json
import zlib
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

NUM_COLUMNS = 99
NUM_EXPMAP_JOINTS = 32
PELVIS, THORAX = 0, 13  # 32-joint indices used for the upright prior

# Release frame (y up, body facing +z) to z-up world, as a *rotation*
# (x, y, z) -> (x, -z, y) for row vectors: p_world = p @ RELEASE_TO_WORLD.
# A plain y/z swap has determinant -1 and mirrors left and right.
RELEASE_TO_WORLD = np.array([[1., 0., 0.], [0., 0., 1.], [0., -1., 0.]])

# Tilt search settings (see the notes for the measured recipe).
TILT_BOUND_DEG = 35.0
TILT_GRID_STEP_DEG = 5.0
UPRIGHT_WEIGHT_MM = 200.0
FALLBACK_UPRIGHT_WEIGHT_MM = 3000.0
FALLBACK_SPREAD_MM = 30.0


class ExpmapFileError(ValueError):
    """A sequence file that cannot be used (corrupt, truncated, malformed)."""


@dataclass(frozen=True)
class ExpmapSkeleton:
    """The release's single 32-joint skeleton (offsets in millimetres)."""
    parents: np.ndarray  # (32,) int, -1 for the root
    offsets_mm: np.ndarray  # (32, 3)
    h36m17_subset: np.ndarray  # (17,) indices into the 32 joints, MMPose order
    foot_joints: np.ndarray  # joints whose lowest one touches the floor

    @classmethod
    def from_json(cls, path) -> 'ExpmapSkeleton':
        with open(path) as f:
            spec = json.load(f)
        skeleton = cls(
            parents=np.asarray(spec['parents'], dtype=np.int64),
            offsets_mm=np.asarray(spec['offsets_mm'], dtype=np.float64),
            h36m17_subset=np.asarray(spec['h36m17_subset'], dtype=np.int64),
            foot_joints=np.asarray(
                spec['foot_joints_for_floor_contact'], dtype=np.int64))
        # FK below walks the joints in index order.
        assert all(p < j for j, p in enumerate(skeleton.parents))
        return skeleton


# ---------------------------------------------------------------- file input
def read_expmap_bytes(path) -> bytes:
    """Decompressed content of one ``.txt.gz`` sequence file."""
    try:
        with gzip.open(path, 'rb') as f:
            return f.read()
    except (OSError, EOFError, zlib.error) as err:
        raise ExpmapFileError(f'{path}: cannot decompress ({err})') from err


def content_digest(raw: bytes) -> str:
    """Hash of a decompressed file, to find byte-identical sequences."""
    return hashlib.sha256(raw).hexdigest()


def parse_expmap_text(raw: bytes, path) -> np.ndarray:
    """Parse and validate the comma-separated text: (frames, 99) float64."""
    if not raw.strip():
        raise ExpmapFileError(f'{path}: no frames')
    try:
        values = np.loadtxt(io.BytesIO(raw), delimiter=',', ndmin=2,
                            dtype=np.float64)
    except ValueError as err:  # ragged rows, unparsable numbers
        raise ExpmapFileError(f'{path}: malformed text ({err})') from err
    if values.shape[1] != NUM_COLUMNS:
        raise ExpmapFileError(f'{path}: {values.shape[1]} columns, expected '
                              f'{NUM_COLUMNS}')
    if len(values) < 2:
        raise ExpmapFileError(
            f'{path}: {len(values)} frame(s), at least 2 are needed')
    if not np.isfinite(values).all():
        raise ExpmapFileError(f'{path}: non-finite values')
    return values


def load_expmap_file(path) -> np.ndarray:
    """Read, parse and validate one sequence file."""
    return parse_expmap_text(read_expmap_bytes(path), path)


# ------------------------------------------------------ kinematics (row form)
def expmap_to_rotmat(axis_angle: np.ndarray) -> np.ndarray:
    """Rodrigues' formula for (..., 3) axis-angle vectors -> (..., 3, 3).

    Same matrix as the release's ``expmap2rotmat``; used there (and here)
    with row vectors, ``p @ R``.
    """
    theta = np.linalg.norm(axis_angle, axis=-1)
    safe_theta = np.where(theta > 0, theta, 1.0)
    axis = axis_angle / safe_theta[..., None]
    x, y, z = axis[..., 0], axis[..., 1], axis[..., 2]
    zero = np.zeros_like(x)
    skew = np.stack([zero, -z, y, z, zero, -x, -y, x, zero],
                    axis=-1).reshape(axis.shape[:-1] + (3, 3))
    sin = np.sin(theta)[..., None, None]
    one_minus_cos = (1.0 - np.cos(theta))[..., None, None]
    return np.eye(3) + sin * skew + one_minus_cos * (skew @ skew)


def integrate_root(expmap: np.ndarray):
    """Absolute root rotations and positions from the per-frame deltas.

    Starts from ``R_0 = I``, ``T_0 = 0`` and, as the release's code does,
    ``R_t = D_t @ R_{t-1}``, ``T_t = T_{t-1} + R_{t-1}^T d_t``.
    Returns (frames, 3, 3) rotations and (frames, 3) positions in mm.
    """
    deltas_rot = expmap_to_rotmat(expmap[:, 3:6])
    deltas_pos = expmap[:, 0:3]
    num_frames = len(expmap)
    rotations = np.empty((num_frames, 3, 3))
    positions = np.empty((num_frames, 3))
    rot_prev, pos_prev = np.eye(3), np.zeros(3)
    for t in range(num_frames):  # a recurrence: inherently sequential
        pos_prev = pos_prev + rot_prev.T @ deltas_pos[t]
        rot_prev = deltas_rot[t] @ rot_prev
        rotations[t] = rot_prev
        positions[t] = pos_prev
    return rotations, positions


def forward_kinematics(expmap: np.ndarray,
                       skeleton: ExpmapSkeleton) -> np.ndarray:
    """All 32 joint positions per frame, release frame, mm, with ``R_0 = I``.

    Vectorised over frames; ``G_j = R_j @ G_parent`` and
    ``p_j = offset_j @ G_parent + p_parent``.
    """
    num_frames = len(expmap)
    root_rot, root_pos = integrate_root(expmap)
    local_rot = expmap_to_rotmat(
        expmap[:, 6:].reshape(num_frames, NUM_EXPMAP_JOINTS - 1, 3))
    global_rot = np.empty((num_frames, NUM_EXPMAP_JOINTS, 3, 3))
    positions = np.empty((num_frames, NUM_EXPMAP_JOINTS, 3))
    global_rot[:, 0] = root_rot
    positions[:, 0] = root_pos + skeleton.offsets_mm[0]
    for j in range(1, NUM_EXPMAP_JOINTS):
        parent = skeleton.parents[j]
        positions[:, j] = (skeleton.offsets_mm[j] @ global_rot[:, parent]
                           + positions[:, parent])
        global_rot[:, j] = local_rot[:, j - 1] @ global_rot[:, parent]
    return positions


# ---------------------------------------------------------------- tilt search
def tilt_rotation(pitch_rad: float, roll_rad: float) -> np.ndarray:
    """Starting root orientation without heading: about x, then about z.

    Applied to row vectors (``X @ R``); x and z are the release frame's
    horizontal axes, so these two angles tilt the vertical and nothing else.
    """
    cp, sp = np.cos(pitch_rad), np.sin(pitch_rad)
    cr, sr = np.cos(roll_rad), np.sin(roll_rad)
    about_x = np.array([[1., 0., 0.], [0., cp, -sp], [0., sp, cp]])
    about_z = np.array([[cr, -sr, 0.], [sr, cr, 0.], [0., 0., 1.]])
    return about_x @ about_z


def up_vectors(pitch_rad, roll_rad) -> np.ndarray:
    """The vertical column of :func:`tilt_rotation`, broadcast: (..., 3)."""
    pitch_rad, roll_rad = np.broadcast_arrays(
        np.asarray(pitch_rad, dtype=np.float64),
        np.asarray(roll_rad, dtype=np.float64))
    return np.stack([
        -np.sin(roll_rad),
        np.cos(pitch_rad) * np.cos(roll_rad),
        np.sin(pitch_rad) * np.cos(roll_rad)
    ], axis=-1)


def floor_heights(positions: np.ndarray, skeleton: ExpmapSkeleton,
                  up: np.ndarray) -> np.ndarray:
    """Per-frame height of the lowest foot joint; ``up`` is (3,) or (3, n)."""
    return (positions[:, skeleton.foot_joints] @ up).min(axis=1)


def torso_directions(positions: np.ndarray) -> np.ndarray:
    """Unit pelvis->thorax vectors, (frames, 3)."""
    torso = positions[:, THORAX] - positions[:, PELVIS]
    return torso / np.linalg.norm(torso, axis=-1, keepdims=True)


@dataclass(frozen=True)
class TiltFit:
    """Outcome of one tilt search; angles in degrees, lengths in mm."""
    pitch_deg: float
    roll_deg: float
    floor_spread_mm: float  # std over frames of the floor height
    uprightness: float  # mean vertical component of pelvis->thorax
    upright_weight_mm: float


def fit_tilt(positions: np.ndarray,
             skeleton: ExpmapSkeleton,
             upright_weight_mm: float = UPRIGHT_WEIGHT_MM,
             bound_deg: float = TILT_BOUND_DEG,
             grid_step_deg: float = TILT_GRID_STEP_DEG) -> TiltFit:
    """Tilt of ``R_0`` that keeps the feet on one floor and the torso up.

    Cost = std over frames of the floor height + weight * (1 - mean vertical
    component of pelvis->thorax); coarse grid, then bounded Nelder-Mead.
    Changing ``R_0`` right-multiplies every position, so ``positions`` (from
    ``R_0 = I``) are only projected onto candidate up vectors.
    """
    feet = positions[:, skeleton.foot_joints]  # (frames, feet, 3)
    torso = torso_directions(positions)

    def costs(pitch, roll):
        up = up_vectors(pitch, roll).reshape(-1, 3).T  # (3, n)
        floor = (feet @ up).min(axis=1)  # (frames, n)
        spread = floor.std(axis=0)
        upright = (torso @ up).mean(axis=0)
        return spread + upright_weight_mm * (1.0 - upright), spread, upright

    bound = np.deg2rad(bound_deg)
    grid = np.deg2rad(np.arange(-bound_deg, bound_deg + 1e-9, grid_step_deg))
    pitch_grid, roll_grid = np.meshgrid(grid, grid, indexing='ij')
    grid_costs = costs(pitch_grid.ravel(), roll_grid.ravel())[0]
    best = int(np.argmin(grid_costs))  # first minimum: deterministic
    start = np.array([pitch_grid.ravel()[best], roll_grid.ravel()[best]])

    result = minimize(
        lambda angles: float(costs(angles[0], angles[1])[0][0]),
        start,
        method='Nelder-Mead',
        bounds=[(-bound, bound), (-bound, bound)],
        options=dict(xatol=1e-5, fatol=1e-4, maxiter=2000))
    angles = result.x if result.fun <= grid_costs[best] else start
    _, spread, upright = costs(angles[0], angles[1])
    return TiltFit(
        pitch_deg=float(np.rad2deg(angles[0])),
        roll_deg=float(np.rad2deg(angles[1])),
        floor_spread_mm=float(spread[0]),
        uprightness=float(upright[0]),
        upright_weight_mm=float(upright_weight_mm))


def fit_tilt_with_fallback(positions: np.ndarray, skeleton: ExpmapSkeleton):
    """:func:`fit_tilt`, redone with a strong upright prior when the floor
    stays uneven (there the release's vertical root motion is unreliable and
    the floor term alone tips the body over). Returns (fit, fallback_used)."""
    fit = fit_tilt(positions, skeleton, UPRIGHT_WEIGHT_MM)
    if fit.floor_spread_mm <= FALLBACK_SPREAD_MM:
        return fit, False
    return fit_tilt(positions, skeleton, FALLBACK_UPRIGHT_WEIGHT_MM), True


# ------------------------------------------------------------ world placement
HEADING_STEP_DEG = 5.0
HEADING_FRAME_STEP = 5  # frames used when scoring a heading (every 5th)


def heading_rotation(yaw_rad: float) -> np.ndarray:
    """Rotation about the world's vertical (z) axis, for row vectors."""
    c, s = np.cos(yaw_rad), np.sin(yaw_rad)
    return np.array([[c, s, 0.], [-s, c, 0.], [0., 0., 1.]])


def project_to_pixels(points_m: np.ndarray, camera: dict) -> np.ndarray:
    """World points (..., 3) in metres -> pixels (..., 2).

    The same model as MMPose's ``SimpleCamera`` (``world_to_camera`` then
    ``camera_to_pixel`` with its radial and tangential distortion), in
    float64; the converter itself uses ``SimpleCamera``.
    """
    rot = np.asarray(camera['R'], dtype=np.float64)
    centre = np.asarray(camera['T'], dtype=np.float64).reshape(3)
    in_camera = (points_m - centre) @ rot
    normalised = in_camera[..., :2] / in_camera[..., 2:]
    k = np.asarray(camera['k'], dtype=np.float64).ravel()
    p = np.asarray(camera['p'], dtype=np.float64).ravel()
    r2 = (normalised**2).sum(-1)
    radial = 1 + k[0] * r2 + k[1] * r2**2 + k[2] * r2**3
    tangential = 2 * (p[1] * normalised[..., 0] + p[0] * normalised[..., 1])
    distorted = (normalised * (radial + tangential)[..., None]
                 + r2[..., None] * p[::-1])
    return (distorted * np.asarray(camera['f'], dtype=np.float64).ravel()
            + np.asarray(camera['c'], dtype=np.float64).ravel())


def image_margin_px(points_m: np.ndarray, cameras: list) -> float:
    """Smallest distance (pixels) of any point to any image border;
    negative when a point falls outside an image or behind a camera."""
    margin = np.inf
    for camera in cameras:
        rot = np.asarray(camera['R'], dtype=np.float64)
        centre = np.asarray(camera['T'], dtype=np.float64).reshape(3)
        if ((points_m - centre) @ rot[:, 2]).min() <= 0:
            return -np.inf
        uv = project_to_pixels(points_m, camera)
        margin = min(margin, float(np.min([
            uv[..., 0].min(), uv[..., 1].min(),
            camera['w'] - uv[..., 0].max(), camera['h'] - uv[..., 1].max()
        ])))
    return margin


def centre_trajectory(joints_m: np.ndarray, centre_xy: np.ndarray):
    """Shift so that the middle of the root's horizontal range is at
    ``centre_xy`` (the floor height is left alone)."""
    root_xy = joints_m[:, 0, :2]
    middle_xy = 0.5 * (root_xy.min(axis=0) + root_xy.max(axis=0))
    return joints_m - np.array([*(middle_xy - centre_xy), 0.0])


def choose_heading(joints_m: np.ndarray, cameras: list,
                   centre_xy: np.ndarray,
                   step_deg: float = HEADING_STEP_DEG,
                   frame_step: int = HEADING_FRAME_STEP):
    """Heading (degrees) that keeps the subject furthest inside all images.

    The release has no absolute heading; the real subjects stayed in view of
    all four cameras, so each heading on a fixed grid is scored by the worst
    image margin after centring, and the first best one is kept.
    Returns (heading_deg, margin_px).
    """
    sample = joints_m[::frame_step]
    best_deg, best_margin = 0.0, -np.inf
    for heading_deg in np.arange(0.0, 360.0, step_deg):
        turned = sample @ heading_rotation(np.deg2rad(heading_deg))
        margin = image_margin_px(centre_trajectory(turned, centre_xy),
                                 cameras)
        if margin > best_margin:
            best_deg, best_margin = float(heading_deg), margin
    return best_deg, best_margin


def capture_centre_xy(cameras: list) -> np.ndarray:
    """Floor point nearest (least squares) to the cameras' optical axes.

    ``cameras`` are MMPose camera dicts (R world-to-camera for row vectors,
    T = camera centre in metres).
    """
    lhs, rhs = np.zeros((3, 3)), np.zeros(3)
    for cam in cameras:
        centre = np.asarray(cam['T'], dtype=np.float64).reshape(3)
        axis = np.asarray(cam['R'], dtype=np.float64)[:, 2]  # optical axis
        axis = axis / np.linalg.norm(axis)
        projector = np.eye(3) - np.outer(axis, axis)
        lhs += projector
        rhs += projector @ centre
    return np.linalg.solve(lhs, rhs)[:2]


@dataclass(frozen=True)
class WorldSequence:
    """One sequence placed in the world: joints (frames, 32, 3) in metres."""
    joints_m: np.ndarray
    tilt: TiltFit
    fallback_used: bool
    initial_spread_mm: float  # floor spread with R_0 = I, for the report
    heading_deg: float
    image_margin_px: float  # worst margin over the heading-scoring frames


def place_in_world(expmap: np.ndarray, skeleton: ExpmapSkeleton,
                   cameras: list) -> WorldSequence:
    """Full reconstruction of one sequence in the z-up world frame (metres).

    Root deltas are integrated on every (50 fps) frame; the starting tilt is
    fitted; the floor is put at height 0; the heading is chosen on a fixed
    grid to keep the subject inside all ``cameras``' images, and the
    trajectory centred on the capture area those cameras look at.
    """
    release = forward_kinematics(expmap, skeleton)
    initial_spread = float(
        floor_heights(release, skeleton, np.array([0., 1., 0.])).std())
    fit, fallback = fit_tilt_with_fallback(release, skeleton)
    tilt = tilt_rotation(np.deg2rad(fit.pitch_deg), np.deg2rad(fit.roll_deg))
    world = release @ (tilt @ RELEASE_TO_WORLD) / 1000.0

    floor = np.median(world[:, skeleton.foot_joints, 2].min(axis=1))
    world[..., 2] -= floor

    centre_xy = capture_centre_xy(cameras)
    heading_deg, margin = choose_heading(
        world[:, skeleton.h36m17_subset], cameras, centre_xy)
    world = centre_trajectory(
        world @ heading_rotation(np.deg2rad(heading_deg)), centre_xy)
    return WorldSequence(
        joints_m=world,
        tilt=fit,
        fallback_used=fallback,
        initial_spread_mm=initial_spread,
        heading_deg=heading_deg,
        image_margin_px=margin)
