"""MPI-INF-3DHP test set for MMPose 1.x lifters, in Human3.6M joint order.

MMPose 1.3.2 ships the dataset's metadata (configs/_base_/datasets/
mpi_inf_3dhp.py) and a converter (tools/dataset_converters/
preprocess_mpi_inf_3dhp.py), but no dataset class; 0.x had
``Body3DMpiInf3dhpDataset``. This one keeps ``Human36mDataset``'s
conventions (``seq_len``, ``seq_step``, ``causal``, ``pad_video_seq``,
``keypoint_2d_src``, ``camera_param_file``...) and reads either source:

- ``ann_file`` a folder: the official test set (``<folder>/TS1/
  annot_data.mat`` ...), read by :mod:`.mpi_inf_3dhp_files`, valid frames
  only; the 3D target is ``univ_annot3`` (the kit's protocol) or ``annot3``.
- ``ann_file`` an .npz: the converter's ``mpi_inf_3dhp_test_valid.npz``
  (``camera_param_file``: its ``cameras_test.pkl``). The converter stores
  ``annot3`` only, so ``target_3d='annot3'`` is required; it writes no
  activity labels either.

Files are in 3DHP's joint order (a 2D detection file too, frames in the
annotation's order); everything the dataset hands out is in Human3.6M's, so
the metadata is MMPose's h36m.py. Each sample also carries ``sequence``
('TS1'), ``scene`` ('GS', 'noGS', 'outdoor') and ``activity`` (a key of
``ACTIVITIES``, 'Unknown' when the source has none), for the metrics'
breakdown (list them in ``PackPoseInputs``' ``meta_keys``). Every joint's 3D
flag is 1: the test kit scores every joint of every valid frame.
"""
import os.path as osp
from typing import Sequence, Tuple

import numpy as np
from mmengine.fileio import get_local_path
from mmengine.logging import print_log
from mmpose.datasets import Human36mDataset
from mmpose.registry import DATASETS

from tipsy_gan.core import skeleton
from . import mpi_inf_3dhp_files as files

_TO_H36M = list(skeleton.H36M_FROM_MPI_INF_3DHP)


@DATASETS.register_module()
class MpiInf3dhpDataset(Human36mDataset):
    """MPI-INF-3DHP test set (TS1-TS6) for 3D lifting.

    Args:
        ann_file (str): the official test-set folder, or MMPose's converter
            npz (relative to ``data_root`` unless absolute).
        target_3d (str): 'univ_annot3' (default; the test kit scores the
            universal skeleton) or 'annot3'.
        sequences (Sequence[str]): the sequences to read from a folder.
            Missing ones are reported and skipped; the rest is evaluated.
        **kwargs: as ``Human36mDataset`` (``camera_param_file`` defaults to
            the official intrinsics for a folder).
    """

    METAINFO: dict = dict(from_file='configs/_base_/datasets/h36m.py')

    def __init__(self,
                 ann_file: str = '',
                 target_3d: str = 'univ_annot3',
                 sequences: Sequence[str] = files.TEST_SEQUENCES,
                 **kwargs):
        if target_3d not in ('univ_annot3', 'annot3'):
            raise ValueError("target_3d must be 'univ_annot3' or 'annot3', "
                             f'got {target_3d!r}')
        self.target_3d = target_3d
        self.sequences = tuple(sequences)
        self.missing_sequences: Tuple[str, ...] = ()
        self.source_formats = {}
        super().__init__(ann_file=ann_file, **kwargs)

    def _load_ann_file(self, ann_file: str) -> None:
        if osp.isdir(ann_file):
            self.ann_data = self._read_test_set(ann_file)
        else:
            self.ann_data = self._read_converter_npz(ann_file)

    def _read_test_set(self, root: str) -> dict:
        found, missing = files.read_test_set(root, self.sequences)
        self.missing_sequences = tuple(missing)
        self.source_formats = {seq.name: seq.file_format for seq in found}
        if missing:
            print_log(
                f'MPI-INF-3DHP: {", ".join(missing)} not found under {root}; '
                f'evaluating {", ".join(s.name for s in found)} only',
                logger='current', level=30)
        for seq in found:
            official = files.OFFICIAL_VALID_FRAMES[seq.name]
            note = ('' if len(seq.frame_indices) == official else
                    f' (the test kit counts {official}: another release or '
                    'a damaged file?)')
            print_log(
                f'MPI-INF-3DHP {seq.name}: {seq.path} read as MATLAB '
                f'{seq.file_format}, {len(seq.frame_indices)} of '
                f'{seq.num_frames} frames valid{note}', logger='current',
                level=30 if note else 20)
        return files.to_mmpose_arrays(found, self.target_3d)

    def _read_converter_npz(self, path: str) -> dict:
        if self.target_3d != 'annot3':
            raise files.MpiInf3dhpError(
                f"{path}: MMPose's converter stores annot3 as S, not the "
                "universal skeleton the test kit scores; read the official "
                "test-set folder for univ_annot3, or set target_3d='annot3'")
        with get_local_path(path) as local_path:
            with np.load(local_path) as npz:
                data = {key: npz[key] for key in npz.files}
        for key in ('imgname', 'part', 'S'):
            if key not in data:
                raise files.MissingAnnotationKeyError(
                    f'{path} has no {key!r}; it holds {sorted(data)}')
        counts = {key: len(value) for key, value in data.items()}
        if len(set(counts.values())) != 1:
            raise files.FrameCountMismatchError(
                f'{path}: frame counts differ between arrays: {counts}')
        for key in ('part', 'S'):
            if data[key].ndim != 3 or data[key].shape[1] != 17:
                raise files.AnnotationFormatError(
                    f'{path}: {key} has shape {data[key].shape}, expected '
                    '(N, 17, C) in 3DHP joint order')
            data[key] = data[key][:, _TO_H36M]
        unknown = [name for name in data['imgname']
                   if files.sequence_of_image(name) is None]
        if unknown:
            raise files.AnnotationFormatError(
                f"{path}: image name {unknown[0]!r} is not 'TS<k>_<frame>.jpg'"
                ' (the converter\'s test-set names)')
        # the converter's S[..., 3] is 2D in-image visibility; the kit
        # scores every joint
        data['S'] = np.concatenate(
            [data['S'][..., :3], np.ones(data['S'].shape[:2] + (1, ))], -1)
        data.setdefault('activity', np.zeros(len(data['imgname']), np.int64))
        return data

    @staticmethod
    def _parse_h36m_imgname(imgname) -> Tuple[str, str, str]:
        """Group frames by sequence: 'TS1_000001.jpg' -> ('TS1', '', '')."""
        sequence = files.sequence_of_image(imgname)
        if sequence is None:
            raise ValueError(f'not a 3DHP test image name: {imgname!r}')
        return sequence, '', ''

    def get_camera_param(self, imgname) -> dict:
        return self.camera_param[files.sequence_of_image(imgname)]

    def _load_keypoint_2d_detection(self, det_file):
        """(N, 17, 3) detections in the annotation's frame order, 3DHP
        joint order; returned in Human3.6M order."""
        kpts_2d = super()._load_keypoint_2d_detection(det_file)
        if kpts_2d.ndim != 3 or kpts_2d.shape[1] != 17:
            raise files.AnnotationFormatError(
                f'{det_file}: shape {kpts_2d.shape}, expected (N, 17, 3)')
        return kpts_2d[:, _TO_H36M]

    def _load_annotations(self):
        if not self.camera_param_file:  # a folder: the official intrinsics
            self.camera_param = {name: files.camera_param(name)
                                 for name in files.TEST_SEQUENCES}
        instance_list, image_list = super()._load_annotations()
        activity = self.ann_data['activity']
        for instance, frame_ids in zip(instance_list, self.sequence_indices):
            target = (frame_ids[-1] if self.causal or self.multiple_target
                      else frame_ids[int(self.seq_len) // 2])
            imgname = self.ann_data['imgname'][target]
            sequence = files.sequence_of_image(imgname)
            instance.update(
                sequence=sequence,
                scene=files.SCENE_OF_SEQUENCE[sequence],
                activity=files.activity_key(activity[target]))
            if not self.camera_param_file:
                instance['camera_param'] = self.camera_param[sequence]
        return instance_list, image_list

    def load_data_list(self):
        data_list = super().load_data_list()
        present = sorted({info['sequence'] for info in data_list})
        self._metainfo.update(
            dataset_name='mpi_inf_3dhp',
            sequences=present,
            missing_sequences=list(self.missing_sequences),
            source_formats=dict(self.source_formats))
        return data_list
