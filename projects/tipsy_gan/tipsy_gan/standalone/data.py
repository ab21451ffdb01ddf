"""The compact pose file: normalised (N, 16, 2) training poses that check themselves.

``tools/gpu/prepare_data.py`` (CPU side, the full stack) writes it from the
converted Human3.6M train split through ``TIPSyPose2DDataset``, so the poses
are exactly the ones the mmengine path trains on. The standalone trainer
reads it with :func:`load_pose_file` and :func:`poses_to_device`.

Format (version 1): an uncompressed ``.npz`` whose members are written with
fixed timestamps, so the same poses always give the same file bytes:

===================  ======================================================
``format``           ``'tipsy-pose2d'``
``format_version``   1
``poses``            (N, 16, 2) float32 or float16, C order
``num_poses``        N
``poses_sha256``     sha256 of ``poses``' bytes (little-endian, C order)
``subjects``         the subjects the poses come from, e.g. ['S1', 'S5']
``source``           the annotation file, relative to its data root
``source_sha256``    sha256 of that file
``indices``          the dataset's ``indices`` (-1: all frames)
``normalisation``    what normalised the poses (the codec)
===================  ======================================================

A file that cannot be read, lacks a member, or whose poses do not match their
checksum raises :class:`PoseFileCorruptError`; another format version
:class:`PoseFileVersionError`; poses of another shape or dtype
:class:`PoseFileShapeError`. All three are :class:`PoseFileError` (a
``ValueError``).
"""
import hashlib
import os
import zipfile
from typing import Dict, Optional, Sequence

import numpy as np
import torch

from ..utils.atomic_write import atomic_output_path

FORMAT = 'tipsy-pose2d'
FORMAT_VERSION = 1
NUM_JOINTS = 16  # the 17 Human3.6M joints without the root
POSE_DTYPES = (np.dtype('<f4'), np.dtype('<f2'))
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
MEMBERS = ('format', 'format_version', 'poses', 'num_poses', 'poses_sha256',
           'subjects', 'source', 'source_sha256', 'indices', 'normalisation')


class PoseFileError(ValueError):
    """A pose file that the trainer must not train on."""


class PoseFileCorruptError(PoseFileError):
    """Unreadable, incomplete, or its poses do not match their checksum."""


class PoseFileVersionError(PoseFileError):
    """Another format, or another version of this one."""


class PoseFileShapeError(PoseFileError):
    """Poses that are not (N, 16, 2) float32/float16, or not N of them."""


def poses_sha256(poses: np.ndarray) -> str:
    """sha256 of the poses' bytes as stored (little-endian, C order)."""
    poses = np.ascontiguousarray(poses)
    if poses.dtype.byteorder == '>':
        poses = poses.astype(poses.dtype.newbyteorder('<'))
    return hashlib.sha256(poses.tobytes()).hexdigest()


def file_sha256(path, chunk=1 << 22) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk), b''):
            digest.update(block)
    return digest.hexdigest()


def write_npz(path, arrays: Dict[str, np.ndarray]) -> None:
    """An uncompressed .npz with fixed member timestamps (same arrays, same
    bytes), written whole or not at all. No pickled objects."""
    with atomic_output_path(path) as tmp:
        with zipfile.ZipFile(tmp, 'w', zipfile.ZIP_STORED,
                             allowZip64=True) as archive:
            for name, array in arrays.items():
                info = zipfile.ZipInfo(f'{name}.npy', date_time=_FIXED_ZIP_TIME)
                info.compress_type = zipfile.ZIP_STORED
                info.external_attr = 0o644 << 16
                with archive.open(info, 'w', force_zip64=True) as member:
                    np.lib.format.write_array(member, np.asarray(array),
                                              allow_pickle=False)


def check_poses(poses: np.ndarray, num_poses: Optional[int] = None) -> None:
    """Raise :class:`PoseFileShapeError` unless ``poses`` is (N, 16, 2) in
    float32/float16 (and N == ``num_poses`` when given)."""
    shape = tuple(poses.shape)
    if len(shape) != 3 or shape[1:] != (NUM_JOINTS, 2) or shape[0] < 1:
        raise PoseFileShapeError(
            f'poses must have shape (N, {NUM_JOINTS}, 2), got {shape}')
    if poses.dtype.newbyteorder('<') not in POSE_DTYPES:
        raise PoseFileShapeError(
            f'poses must be float32 or float16, got {poses.dtype}')
    if num_poses is not None and shape[0] != num_poses:
        raise PoseFileShapeError(
            f'the file says num_poses={num_poses} but holds {shape[0]} poses')


def write_pose_file(path, poses: np.ndarray, *, subjects: Sequence[str],
                    source: str, source_sha256: str, indices: int = -1,
                    normalisation: str = '') -> Dict[str, object]:
    """Write ``poses`` (N, 16, 2) and their description; returns the header
    (every member but the poses)."""
    poses = np.ascontiguousarray(poses)
    check_poses(poses)
    if poses.dtype.byteorder == '>':
        poses = poses.astype(poses.dtype.newbyteorder('<'))
    if not np.isfinite(poses).all():
        raise ValueError('poses contain NaN or inf values')
    header = dict(format=FORMAT, format_version=FORMAT_VERSION,
                  num_poses=int(poses.shape[0]),
                  poses_sha256=poses_sha256(poses),
                  subjects=sorted(set(subjects)), source=str(source),
                  source_sha256=str(source_sha256), indices=int(indices),
                  normalisation=str(normalisation))
    arrays = {
        'format': np.asarray(FORMAT),
        'format_version': np.asarray(FORMAT_VERSION, dtype=np.int64),
        'poses': poses,
        'num_poses': np.asarray(header['num_poses'], dtype=np.int64),
        'poses_sha256': np.asarray(header['poses_sha256']),
        'subjects': np.asarray(header['subjects'], dtype=str),
        'source': np.asarray(header['source']),
        'source_sha256': np.asarray(header['source_sha256']),
        'indices': np.asarray(header['indices'], dtype=np.int64),
        'normalisation': np.asarray(header['normalisation']),
    }
    write_npz(path, arrays)
    return header


class PoseFile:
    """A checked pose file: ``poses`` (NumPy, as stored) and its header."""

    def __init__(self, path, poses: np.ndarray, header: Dict[str, object]):
        self.path = str(path)
        self.poses = poses
        self.header = header

    def __len__(self):
        return int(self.poses.shape[0])

    def describe(self) -> str:
        h = self.header
        return (f'{self.path}: {len(self)} poses {self.poses.dtype} '
                f'from {h["source"]} (subjects {", ".join(h["subjects"])}), '
                f'poses sha256 {h["poses_sha256"][:16]}...')


def _scalar(archive, name, path):
    try:
        return archive[name][()]
    except KeyError:
        raise PoseFileCorruptError(f'{path}: no {name!r} member (not a '
                                   f'{FORMAT} file, or an incomplete one)')


def load_pose_file(path) -> PoseFile:
    """Read and check a pose file; raises a :class:`PoseFileError`."""
    path = str(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f'pose file not found: {path} (make it with '
            'tools/gpu/prepare_data.py on the CPU machine)')
    try:
        with np.load(path, allow_pickle=False) as archive:
            fmt = str(_scalar(archive, 'format', path))
            version = int(_scalar(archive, 'format_version', path))
            if fmt != FORMAT:
                raise PoseFileVersionError(
                    f'{path}: format {fmt!r}, expected {FORMAT!r}')
            if version != FORMAT_VERSION:
                raise PoseFileVersionError(
                    f'{path}: format version {version}, this reader reads '
                    f'version {FORMAT_VERSION}: prepare the file again with '
                    'tools/gpu/prepare_data.py')
            missing = [m for m in MEMBERS if m not in archive.files]
            if missing:
                raise PoseFileCorruptError(f'{path}: missing {missing}')
            num_poses = int(archive['num_poses'][()])
            poses = archive['poses']
            header = dict(
                format=fmt, format_version=version, num_poses=num_poses,
                poses_sha256=str(archive['poses_sha256'][()]),
                subjects=[str(s) for s in archive['subjects']],
                source=str(archive['source'][()]),
                source_sha256=str(archive['source_sha256'][()]),
                indices=int(archive['indices'][()]),
                normalisation=str(archive['normalisation'][()]))
    except PoseFileError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError,
            KeyError) as error:
        raise PoseFileCorruptError(f'{path}: unreadable ({error})') from error
    check_poses(poses, num_poses)
    digest = poses_sha256(poses)
    if digest != header['poses_sha256']:
        raise PoseFileCorruptError(
            f'{path}: the poses do not match their checksum (sha256 '
            f'{digest}, the file says {header["poses_sha256"]})')
    if not np.isfinite(poses).all():
        raise PoseFileCorruptError(f'{path}: NaN or inf poses')
    return PoseFile(path, poses, header)


def poses_to_device(pose_file: PoseFile, device, dtype=torch.float32
                    ) -> torch.Tensor:
    """The whole set as one contiguous (N, 16, 2) tensor on ``device``
    (float16 files are upcast there): one host-to-device copy."""
    host = torch.from_numpy(np.ascontiguousarray(pose_file.poses))
    return host.to(device=device).to(dtype).contiguous()
