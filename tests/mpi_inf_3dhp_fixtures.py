"""MPI-INF-3DHP test-set fixtures in the published file formats.

No real 3DHP file was available: these write TS<k>/annot_data.mat files that
follow the formats as public code reads them (sources in
tipsy_gan/datasets/mpi_inf_3dhp_files.py), filled with a few dozen frames of
a real Human3.6M sequence (our converted S9 test data, camera coordinates)
mapped into 3DHP's joint order and projected with the official intrinsics.

- v7.3: HDF5 behind MATLAB's 512-byte header ("MATLAB 7.3 MAT-file ...",
  version 0x0200, 'IM'), every array with its ``MATLAB_class`` attribute and
  stored as MATLAB writes it, column-major: MATLAB's 3x17x1xN is the HDF5
  dataset (N, 1, 17, 3).
- v5: ``scipy.io.savemat`` of the MATLAB-shaped arrays (3, 17, 1, N).

Keys: annot2 (2x17x1xN, pixels), annot3 and univ_annot3 (3x17x1xN, mm),
valid_frame and activity_annotation (1xN), all MATLAB double. The real
files' dtypes could not be checked; the reader accepts any numeric type.
``univ_annot3`` here is ``annot3`` scaled about the pelvis by UNIV_SCALE (the
real one is retargeted to Human3.6M's height).
"""
from pathlib import Path
from typing import Dict, Iterable, Optional

import h5py
import numpy as np
from scipy.io import savemat

from tipsy_gan.core import skeleton
from tipsy_gan.datasets import mpi_inf_3dhp_files as files

# Frames per sequence (48 in all), unequal so that weighting matters.
FRAMES = {'TS1': 10, 'TS2': 6, 'TS3': 8, 'TS4': 7, 'TS5': 9, 'TS6': 8}
UNIV_SCALE = 0.95
MIXED_FORMATS = {'TS1': 'v7.3', 'TS2': 'v5', 'TS3': 'v7.3', 'TS4': 'v5',
                 'TS5': 'v7.3', 'TS6': 'v5'}
ALL_V73 = {name: 'v7.3' for name in files.TEST_SEQUENCES}

_HEADER = (b'MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: '
           b'Mon Jan  1 00:00:00 2018 HDF5 schema 1.00 .')


def valid_pattern(count: int) -> np.ndarray:
    """Every fourth frame is invalid (frames 3, 7, ...)."""
    return (np.arange(count) % 4 != 3).astype(np.float64)


def activity_pattern(count: int, offset: int) -> np.ndarray:
    return ((np.arange(count) + offset) % 7 + 1).astype(np.float64)


def h36m_poses(h36m_dir: Path, count: int) -> np.ndarray:
    """(count, 17, 3) metres: consecutive fps10 frames of the first test
    sequence of a converted Human3.6M (camera coordinates)."""
    with np.load(h36m_dir / 'annotation_body3d' / 'fps10' /
                 'h36m_test.npz') as npz:
        return np.asarray(npz['S'][:count, :, :3], dtype=np.float64)


def project(points_mm: np.ndarray, camera: dict) -> np.ndarray:
    """Pinhole projection, pixels."""
    f, c = camera['f'].ravel(), camera['c'].ravel()
    return points_mm[..., :2] / points_mm[..., 2:3] * f + c


def sequence_arrays(poses_h36m_m: np.ndarray, name: str) -> dict:
    """The five arrays of one annot_data.mat, frames first ((N, 1, 17, D)
    and (N,)), joints in 3DHP order, plus the Human3.6M-order originals."""
    count = len(poses_h36m_m)
    annot3 = 1000.0 * poses_h36m_m[:, list(skeleton.MPI_INF_3DHP_FROM_H36M)]
    root = skeleton.MPI_INF_3DHP_ROOT
    pelvis = annot3[:, root:root + 1]
    univ = pelvis + UNIV_SCALE * (annot3 - pelvis)
    annot2 = project(annot3, files.camera_param(name))
    return dict(annot2=annot2[:, None], annot3=annot3[:, None],
                univ_annot3=univ[:, None], valid_frame=valid_pattern(count),
                activity_annotation=activity_pattern(
                    count, files.TEST_SEQUENCES.index(name)))


def to_matlab(frames_first: np.ndarray) -> np.ndarray:
    """MATLAB's shape: (N, 1, 17, D) -> (D, 17, 1, N); (N,) -> (1, N)."""
    if frames_first.ndim == 1:
        return frames_first[None, :]
    return np.ascontiguousarray(frames_first.T)


def write_v73(path: Path, arrays: Dict[str, np.ndarray]) -> None:
    """A MATLAB v7.3 file as MATLAB writes it (column-major arrays)."""
    with h5py.File(path, 'w', userblock_size=512) as mat:
        for key, value in arrays.items():
            # HDF5 holds MATLAB's column-major D x 17 x 1 x N as N x 1 x 17 x D
            dataset = mat.create_dataset(key, data=to_matlab(value).T)
            dataset.attrs['MATLAB_class'] = np.bytes_('double')
    header = _HEADER.ljust(116, b' ') + b' ' * 8 + b'\x00\x02' + b'IM'
    with open(path, 'r+b') as raw:
        raw.write(header)


def write_v5(path: Path, arrays: Dict[str, np.ndarray]) -> None:
    savemat(str(path),
            {key: to_matlab(value) for key, value in arrays.items()},
            format='5')


def write_test_set(root: Path, h36m_dir: Path,
                   formats: Optional[Dict[str, str]] = None,
                   skip: Iterable[str] = (), images: bool = False,
                   edit=None) -> Dict[str, dict]:
    """Write ``root/TS<k>/annot_data.mat``; return what each holds.

    Args:
        formats: 'v7.3' or 'v5' per sequence (default MIXED_FORMATS).
        skip: sequences not written (a missing TS folder).
        images: also write empty imageSequence/img_%06d.jpg for the valid
            frames (MMPose's converter copies them).
        edit: ``edit(name, arrays)`` may change a file's arrays before it is
            written (drop a key, cut a vector...).

    Returns:
        ``{name: dict(arrays=frames-first arrays as written (3DHP order),
        poses_h36m=(N, 17, 3) metres, valid=(V,) indices)}``.
    """
    formats = dict(MIXED_FORMATS if formats is None else formats)
    poses = h36m_poses(h36m_dir, sum(FRAMES.values()))
    written, start = {}, 0
    for name in files.TEST_SEQUENCES:
        count = FRAMES[name]
        chunk, start = poses[start:start + count], start + count
        if name in skip:
            continue
        arrays = sequence_arrays(chunk, name)
        expected = {key: value.copy() for key, value in arrays.items()}
        if edit is not None:
            edit(name, arrays)
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        writer = write_v73 if formats[name] == 'v7.3' else write_v5
        writer(folder / files.ANNOTATION_FILE, arrays)
        valid = np.flatnonzero(expected['valid_frame'])
        if images:
            (folder / 'imageSequence').mkdir(exist_ok=True)
            for index in valid:
                (folder / 'imageSequence' /
                 f'img_{index + 1:06d}.jpg').write_bytes(b'')
        written[name] = dict(arrays=expected, poses_h36m=chunk, valid=valid)
    return written
