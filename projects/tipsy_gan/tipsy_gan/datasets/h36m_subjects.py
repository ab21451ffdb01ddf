"""Human3.6M subjects as a data option: the validation protocol's split.

Human3.6M's usual split trains on S1, S5, S6, S7 and S8 and tests on S9 and
S11. Our research protocol (``docs/protocol.md``) holds S8 out: research runs
train on the 2D of S1, S5, S6 and S7 and every choice is scored on S8 (its
3D read by the evaluation alone); S9/S11 are scored once per final
configuration, trained on all five.

``TIPSyHuman36mDataset`` is MMPose's ``Human36mDataset`` with one more
argument, ``subjects``: only samples whose target frame belongs to one of
them are kept (the same files, no copy of the data). MMPose's own
``Human36mDataset`` is unchanged. The subject of a frame is the prefix of
its image name, ``'S8'`` in ``'S8/S8_Directions_1.54138969_000001.jpg'``.
"""
import os.path as osp
import re
from typing import Optional, Sequence, Tuple

import numpy as np
from mmpose.datasets import Human36mDataset
from mmpose.registry import DATASETS

ALL_TRAIN_SUBJECTS = ('S1', 'S5', 'S6', 'S7', 'S8')
TEST_SUBJECTS = ('S9', 'S11')
# The research protocol: train on these, choose on VALIDATION_SUBJECTS.
RESEARCH_TRAIN_SUBJECTS = ('S1', 'S5', 'S6', 'S7')
VALIDATION_SUBJECTS = ('S8', )

_SUBJECT = re.compile(r'S\d+')


def subject_of_image(imgname: str) -> str:
    """'S8' for '.../S8_Directions_1.54138969_000001.jpg' (as MMPose's
    ``Human36mDataset._parse_h36m_imgname``)."""
    return osp.basename(str(imgname)).split('_', 1)[0]


def subjects_of_images(imgnames: Sequence[str]) -> np.ndarray:
    """``(N,)`` subject names of image names."""
    return np.array([subject_of_image(n) for n in imgnames])


def check_subjects(subjects: Optional[Sequence[str]]
                   ) -> Optional[Tuple[str, ...]]:
    """``subjects`` as a tuple of 'S<k>' names (None: every subject)."""
    if subjects is None:
        return None
    if isinstance(subjects, str):
        subjects = [subjects]
    subjects = tuple(str(s) for s in subjects)
    bad = [s for s in subjects if not _SUBJECT.fullmatch(s)]
    if bad or not subjects:
        raise ValueError(f"subjects must be a non-empty list of names like "
                         f"'S1', got {list(subjects)}")
    return subjects


@DATASETS.register_module()
class TIPSyHuman36mDataset(Human36mDataset):
    """``Human36mDataset`` restricted to some subjects.

    Args:
        subjects (Sequence[str], optional): e.g. ``['S8']``; only samples
            whose target frame is one of these subjects' are kept, in
            ``Human36mDataset``'s order. Every subject must occur in
            ``ann_file`` (a typo, or S8 asked of the test file, is an error).
            None (default): all of the file, exactly ``Human36mDataset``.
        **kwargs: ``Human36mDataset``'s. ``subset_frac`` is applied first,
            then the subject filter, then ``indices``.
    """

    def __init__(self, subjects: Optional[Sequence[str]] = None, **kwargs):
        self.subjects = check_subjects(subjects)
        self._subjects_ann_file = kwargs.get('ann_file', '')
        super().__init__(**kwargs)

    def get_sequence_indices(self):
        sequences = super().get_sequence_indices()
        if self.subjects is None:
            return sequences
        frame_subjects = subjects_of_images(self.ann_data['imgname'])
        in_file = sorted(set(frame_subjects.tolist()))
        missing = [s for s in self.subjects if s not in in_file]
        if missing:
            raise ValueError(f'subjects {missing} have no frame in '
                             f'{self._subjects_ann_file} (it holds {in_file})')
        wanted = np.isin(frame_subjects, self.subjects)
        target = -1 if self.causal else self.seq_len // 2
        return [seq for seq in sequences if wanted[seq[target]]]
