"""The MPI-INF-3DHP test set as published: TS1-TS6/annot_data.mat.

Plain NumPy, h5py and SciPy (no MMPose); :class:`MpiInf3dhpDataset` and the
tests build on it. Every format fact below names its public source; no real
3DHP file was available where this was written, so the reader was checked on
fixtures written to these facts (tests/mpi_inf_3dhp_fixtures.py).

The files (test kit README.txt and mpii_test_predictions_py.m, copied in
QitaoZhao/PoseFormerV2 mpi_inf_3dhp/3dhp_test/):

- ``annot2``: 2D joints in pixels, MATLAB size 2x17x1xN.
- ``annot3``: 3D joints in camera coordinates, mm, 3x17x1xN.
- ``univ_annot3``: ``annot3`` retargeted to the "universal" skeleton, scaled
  to Human3.6M's height; what the test kit scores (3x17x1xN).
- ``valid_frame``: 1 where the frame is scored (1xN).
- ``activity_annotation``: the activity id 1-7 per frame (1xN), names in
  mpii_get_activity_name.m.

The 17 joints are the kit's "relevant" set, pelvis at index 14
(``skeleton.MPI_INF_3DHP_JOINT_NAMES``); the reader returns them in the
Human3.6M order of our lifters (``skeleton.H36M_FROM_MPI_INF_3DHP``).

File formats. A MATLAB v7.3 file is HDF5 behind a 512-byte header: h5py
reads it and sees MATLAB's column-major arrays with their axes reversed, so
3x17x1xN arrives as ``(N, 1, 17, 3)`` (MMPose's
tools/dataset_converters/preprocess_mpi_inf_3dhp.py reshapes it to
``(-1, 17, 3)``; isarandi/PosePile posepile/ds/tdhp/main.py indexes
``[:, 0]``, and ``valid_frame[:, 0]``). Older MAT files (v5, and v7, which is
v5 with compression) are read by ``scipy.io.loadmat``, which keeps MATLAB's
axis order, ``(3, 17, 1, N)``; the reader reverses those axes so that both
formats give the same arrays. Which of TS1-TS6 is which could not be checked
here: every public loader we found (MMPose's converter; PoseFormerV2's
mpi_inf_3dhp/common/data_to_npz_3dhp_test.py, taken from P-STMO; the same
file in TaatiTeam/MotionAGFormer; PosePile; a mat73-based one) opens all six
with an HDF5 reader, i.e. as v7.3; none reads one with scipy. The format
is therefore detected per file from its header (:func:`mat_file_format`),
never assumed, and reported in :attr:`TestSequence.file_format`.
"""
import dataclasses
import os
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from tipsy_gan.core import skeleton

TEST_SEQUENCES = ('TS1', 'TS2', 'TS3', 'TS4', 'TS5', 'TS6')
ANNOTATION_FILE = 'annot_data.mat'
POSE_KEYS = {'annot2': 2, 'annot3': 3, 'univ_annot3': 3}
FRAME_KEYS = ('valid_frame', 'activity_annotation')
ANNOTATION_KEYS = tuple(POSE_KEYS) + FRAME_KEYS

# Scenes as the test kit's README.txt groups the sequences.
SCENES = {'GS': ('TS1', 'TS2'), 'noGS': ('TS3', 'TS4'),
          'outdoor': ('TS5', 'TS6')}
SCENE_OF_SEQUENCE = {seq: scene for scene, seqs in SCENES.items()
                     for seq in seqs}
# Valid frames per sequence: the weights of the README's scene averages,
# "#1:Studio with Green Screen (TS1*603 + TS2 *540)/ (603+540)" and so on
# (2,929 in all). A file whose count differs is reported, not rejected.
OFFICIAL_VALID_FRAMES = {'TS1': 603, 'TS2': 540, 'TS3': 505, 'TS4': 553,
                         'TS5': 276, 'TS6': 452}

# mpii_get_activity_name.m: id -> name; the second column is the name as a
# metric key (MMPose metric names should carry no '/' or spaces).
ACTIVITIES = {
    1: ('Standing/Walking', 'StandWalk'),
    2: ('Exercising', 'Exercise'),
    3: ('Sitting', 'Sitting'),
    4: ('Reaching/Crouching', 'ReachCrouch'),
    5: ('On The Floor', 'OnTheFloor'),
    6: ('Sports', 'Sports'),
    7: ('Miscellaneous', 'Misc'),
}
UNKNOWN_ACTIVITY = 'Unknown'


def _calib_intrinsics(sensor_mm, image_px, focal_mm, pixel_aspect,
                      center_offset_mm):
    """Pinhole intrinsics from a test kit .calib entry.

    Pixels per mm are image size / sensor size on each axis; the focal length
    is stretched by ``pixelAspect`` (y / x) on y only, and the principal
    point is the sensor centre moved by ``centerOffset`` (mm, "positive
    values move right and down"). This reproduces, to within 0.3 px, the
    intrinsics MMPose's converter fits by least squares to the real
    annot2/annot3 (MMPose 0.x tests/data/mpi_inf_3dhp/cameras_test.pkl) for
    TS1, TS3-TS6; TS2's fit is 4 px off, the same for every reading of the
    .calib.
    """
    (sensor_w, sensor_h), (width, height) = sensor_mm, image_px
    px_x, px_y = width / sensor_w, height / sensor_h
    fx, fy = focal_mm * px_x, focal_mm * px_y * pixel_aspect
    cx = (sensor_w / 2 + center_offset_mm[0]) * px_x
    cy = (sensor_h / 2 + center_offset_mm[1]) * px_y
    return dict(f=np.array([[fx], [fy]]), c=np.array([[cx], [cy]]),
                w=int(width), h=int(height))


# The test kit's test_util/camera_calibration/ts1-4cameras.calib (studio) and
# ts5-6cameras.calib (outdoor; its lens distortion is not applied: annot2 is
# used as given and nothing is projected at test time).
STUDIO_CAMERA = _calib_intrinsics((10, 10), (2048, 2048), 7.32506, 1.00044,
                                  (-0.0322884, 0.0929296))
OUTDOOR_CAMERA = _calib_intrinsics((10, 5.625), (1920, 1080), 8.770747185,
                                   0.993236423, (-0.104908645, 0.104899704))


def camera_param(sequence: str) -> dict:
    """The official intrinsics of a test sequence, in the layout of MMPose's
    converter's cameras_test.pkl: ``f`` and ``c`` (2, 1), ``w``, ``h``,
    ``name``."""
    index = TEST_SEQUENCES.index(sequence) + 1
    camera = STUDIO_CAMERA if index <= 4 else OUTDOOR_CAMERA
    return dict(f=camera['f'].copy(), c=camera['c'].copy(), w=camera['w'],
                h=camera['h'], name=f'test_cam_{index}')


def image_name(sequence: str, frame_index: int) -> str:
    """'TS1_000001.jpg' for frame 0: MMPose's converter's names (1-based)."""
    return f'{sequence}_{frame_index + 1:06d}.jpg'


class MpiInf3dhpError(ValueError):
    """A 3DHP test-set file or folder that cannot be read as published."""


class MissingSequenceError(MpiInf3dhpError):
    """A TS folder, or its annot_data.mat, is not there."""


class MissingAnnotationKeyError(MpiInf3dhpError):
    """An annot_data.mat without one of the keys the evaluation needs."""


class FrameCountMismatchError(MpiInf3dhpError):
    """The per-frame arrays of one file disagree on the number of frames."""


class AnnotationFormatError(MpiInf3dhpError):
    """Not a MAT file, or an array of an unexpected shape."""


def mat_file_format(path: str) -> str:
    """'v7.3' (HDF5, read with h5py), 'v5' (Level 5 MAT: v5, v6 and v7, read
    with scipy) or 'v4'; raises :class:`AnnotationFormatError` otherwise."""
    import h5py
    from scipy.io.matlab import matfile_version
    if h5py.is_hdf5(path):
        return 'v7.3'
    try:
        major, _ = matfile_version(path)
    except Exception as error:  # scipy raises several types for non-MAT
        raise AnnotationFormatError(
            f'{path}: neither HDF5 (MATLAB v7.3) nor a MAT file ({error})'
        ) from error
    if major == 2:  # a v7.3 header without its HDF5 body
        raise AnnotationFormatError(
            f'{path}: the file is corrupt or truncated: its header says '
            'MATLAB v7.3 (HDF5), but it holds no readable HDF5 data; copy '
            'or download it again')
    return {0: 'v4', 1: 'v5'}[major]


def _corrupt(path: str, file_format: str, error: Exception):
    return AnnotationFormatError(
        f'{path}: the file is corrupt or truncated (MATLAB {file_format}: '
        f'{type(error).__name__}: {error}); copy or download it again')


def read_mat_arrays(path: str,
                    keys: Sequence[str] = ANNOTATION_KEYS
                    ) -> Tuple[Dict[str, np.ndarray], str]:
    """``({key: array}, format)``: the arrays with MATLAB's axes reversed, as
    h5py sees a v7.3 file, whichever the format. Raises
    :class:`MissingAnnotationKeyError` naming the first absent key."""
    file_format = mat_file_format(path)
    arrays = {}
    if file_format == 'v7.3':
        import h5py
        try:
            with h5py.File(path, 'r') as mat:
                for key in keys:
                    if key not in mat or not isinstance(mat[key],
                                                        h5py.Dataset):
                        raise MissingAnnotationKeyError(
                            f'{path} (MATLAB v7.3) has no array {key!r}; '
                            f'it holds {sorted(mat.keys())}')
                    arrays[key] = np.asarray(mat[key])
        except MpiInf3dhpError:
            raise
        except (OSError, RuntimeError, ValueError) as error:
            raise _corrupt(path, file_format, error) from error
    else:
        from scipy.io import loadmat
        try:
            mat = loadmat(path, variable_names=list(keys))
        except Exception as error:  # scipy raises many types on bad data
            raise _corrupt(path, file_format, error) from error
        for key in keys:
            if key not in mat:
                raise MissingAnnotationKeyError(
                    f'{path} (MATLAB {file_format}) has no array {key!r}')
            # scipy keeps MATLAB's D x J x 1 x N; reverse it as HDF5 stores it
            arrays[key] = np.asarray(mat[key]).T
    return arrays, file_format


def _poses(array: np.ndarray, key: str, dims: int, path: str) -> np.ndarray:
    """``(N, 17, dims)`` float64 from ``(N, 1, 17, dims)`` (or ``(N, 17,
    dims)``)."""
    shape = array.shape
    if (array.ndim < 3 or shape[-2:] != (17, dims)
            or int(np.prod(shape[1:-2])) != 1):
        raise AnnotationFormatError(
            f'{path}: {key} has shape {shape} as read; expected (N, 1, 17, '
            f'{dims}), MATLAB\'s {dims}x17x1xN')
    return array.reshape(shape[0], 17, dims).astype(np.float64)


def _per_frame(array: np.ndarray, key: str, path: str) -> np.ndarray:
    """``(N,)`` from a 1xN or Nx1 MATLAB vector."""
    if array.ndim > 2 or (array.ndim == 2 and min(array.shape) != 1):
        raise AnnotationFormatError(
            f'{path}: {key} has shape {array.shape}; expected a vector')
    return array.reshape(-1)


@dataclasses.dataclass
class TestSequence:
    """The valid frames of one test sequence, joints in Human3.6M order.

    Attributes:
        name: 'TS1' ... 'TS6'.
        path: the annot_data.mat read.
        file_format: 'v7.3' (h5py) or 'v5'/'v4' (scipy).
        num_frames: frames in the file, valid or not.
        frame_indices: ``(V,)`` 0-based indices of the valid frames.
        annot2: ``(V, 17, 2)`` pixels. annot3, univ_annot3: ``(V, 17, 3)`` mm.
        activity_id: ``(V,)`` int, 1-7 (0 where the file has no valid id).
    """
    name: str
    path: str
    file_format: str
    num_frames: int
    frame_indices: np.ndarray
    annot2: np.ndarray
    annot3: np.ndarray
    univ_annot3: np.ndarray
    activity_id: np.ndarray

    @property
    def scene(self) -> str:
        return SCENE_OF_SEQUENCE[self.name]

    @property
    def camera(self) -> dict:
        return camera_param(self.name)

    @property
    def image_names(self) -> List[str]:
        return [image_name(self.name, int(i)) for i in self.frame_indices]

    @property
    def activity_names(self) -> List[str]:
        return [activity_key(a) for a in self.activity_id]


def activity_key(activity_id: int) -> str:
    """The metric-key name of an activity id ('Unknown' outside 1-7)."""
    return ACTIVITIES.get(int(activity_id), (None, UNKNOWN_ACTIVITY))[1]


def read_sequence(root: str, name: str) -> TestSequence:
    """Read ``root/<name>/annot_data.mat``, keep its valid frames and reorder
    the joints into Human3.6M's order.

    Raises:
        MissingSequenceError: no such folder or no annot_data.mat in it.
        MissingAnnotationKeyError: a key of ``ANNOTATION_KEYS`` is absent.
        FrameCountMismatchError: the arrays disagree on N.
        AnnotationFormatError: not a MAT file, or an unexpected shape, or
            non-finite coordinates in a valid frame.
    """
    if name not in TEST_SEQUENCES:
        raise ValueError(f'unknown test sequence {name!r}; expected one of '
                         f'{TEST_SEQUENCES}')
    folder = os.path.join(root, name)
    path = os.path.join(folder, ANNOTATION_FILE)
    if not os.path.isdir(folder):
        raise MissingSequenceError(f'test sequence folder missing: {folder}')
    if not os.path.isfile(path):
        raise MissingSequenceError(f'{ANNOTATION_FILE} missing in {folder}')
    arrays, file_format = read_mat_arrays(path)
    poses = {key: _poses(arrays[key], key, dims, path)
             for key, dims in POSE_KEYS.items()}
    per_frame = {key: _per_frame(arrays[key], key, path) for key in FRAME_KEYS}
    counts = {key: len(value) for key, value in {**poses, **per_frame}.items()}
    if len(set(counts.values())) != 1:
        raise FrameCountMismatchError(
            f'{path}: frame counts differ between arrays: {counts}')

    valid = np.nan_to_num(per_frame['valid_frame'].astype(np.float64)) != 0
    frames = np.flatnonzero(valid)
    reorder = list(skeleton.H36M_FROM_MPI_INF_3DHP)
    kept = {key: value[frames][:, reorder] for key, value in poses.items()}
    for key, value in kept.items():
        if not np.isfinite(value).all():
            bad = frames[~np.isfinite(value).all(axis=(1, 2))][0]
            raise AnnotationFormatError(
                f'{path}: {key} is not finite in valid frame {bad}')
    activity = np.nan_to_num(
        per_frame['activity_annotation'][frames].astype(np.float64))
    activity = np.where(np.isin(activity, list(ACTIVITIES)), activity,
                        0).astype(np.int64)
    return TestSequence(name=name, path=path, file_format=file_format,
                        num_frames=counts['valid_frame'],
                        frame_indices=frames, activity_id=activity, **kept)


def read_test_set(root: str, sequences: Sequence[str] = TEST_SEQUENCES
                  ) -> Tuple[List[TestSequence], List[str]]:
    """Read every sequence there is: ``(sequences read, names missing)``.

    A missing TS folder (or its annot_data.mat) is returned in the second
    list for the caller to report, and the rest is read; any other error
    stops the read. Raises :class:`MissingSequenceError` when none is there.
    """
    found, missing = [], []
    for name in sequences:
        try:
            found.append(read_sequence(root, name))
        except MissingSequenceError:
            missing.append(name)
    if not found:
        raise MissingSequenceError(
            f'none of {list(sequences)} found under {root} (expected '
            f'<root>/TS1/{ANNOTATION_FILE} ...)')
    return found, missing


def in_image(keypoints_2d: np.ndarray, width: int, height: int) -> np.ndarray:
    """``(..., K)`` 1.0 where a 2D joint lies inside the image, as MMPose's
    converter flags visibility (it uses 2048x2048 for every sequence, so its
    flags are wrong for the 1920x1080 outdoor ones)."""
    x, y = keypoints_2d[..., 0], keypoints_2d[..., 1]
    return ((x >= 0) & (x < width) & (y >= 0) & (y < height)).astype(
        np.float64)


def boxes(keypoints_2d: np.ndarray, scale_factor: float = 1.2):
    """``(center (N, 2), scale (N,))`` of the 2D joints' box, as MMPose's
    converter's ``get_annotations`` computes them."""
    low, high = keypoints_2d.min(axis=1), keypoints_2d.max(axis=1)
    return (low + high) / 2, scale_factor * (high - low).max(axis=1) / 200


def to_mmpose_arrays(sequences: Sequence[TestSequence],
                     target_3d: str = 'univ_annot3') -> Dict[str, np.ndarray]:
    """The arrays of MMPose's converter's mpi_inf_3dhp_test_valid.npz
    (``imgname``, ``center``, ``scale``, ``part`` (N, 17, 3) pixels plus
    in-image flag, ``S`` (N, 17, 4) metres plus flag 1), joints in Human3.6M
    order, ``S`` from ``target_3d``; plus ``activity`` (N,) ids. The 3D flag
    is 1 for every joint: the test kit scores all of them."""
    if target_3d not in ('univ_annot3', 'annot3'):
        raise ValueError(f"target_3d must be 'univ_annot3' or 'annot3', got "
                         f'{target_3d!r}')
    names, parts, joints_3d, activity = [], [], [], []
    for seq in sequences:
        camera = seq.camera
        visible = in_image(seq.annot2, camera['w'], camera['h'])
        names.extend(seq.image_names)
        parts.append(np.concatenate([seq.annot2, visible[..., None]], -1))
        metres = getattr(seq, target_3d) * 0.001
        joints_3d.append(np.concatenate(
            [metres, np.ones(metres.shape[:2] + (1, ))], -1))
        activity.append(seq.activity_id)
    part = np.concatenate(parts)
    center, scale = boxes(part[..., :2])
    return dict(imgname=np.array(names), center=center, scale=scale,
                part=part, S=np.concatenate(joints_3d),
                activity=np.concatenate(activity))


def sequence_of_image(imgname: str) -> Optional[str]:
    """'TS3' for '.../TS3_000123.jpg'; None for any other name."""
    base = os.path.basename(str(imgname))
    head = base.split('_', 1)[0]
    return head if head in TEST_SEQUENCES and '_' in base else None
