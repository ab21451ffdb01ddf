"""A fast training path: Human36mDataset's 2D poses, normalised once.

MMPose's ``Human36mDataset`` + ``GenerateTarget`` + ``PackPoseInputs`` build
one dict and one ``PoseDataSample`` per pose (deep copies of the metainfo,
InstanceData fields): about 1.2-1.6k poses/s on one core of this machine,
slower than the TIPSy step itself at width 256 and far slower than a GPU
step. Adversarial training reads only the normalised 2D pose, so this
dataset selects the same frames as ``Human36mDataset`` (its own
``get_sequence_indices``, ``seq_len=1``, ground-truth 2D), normalises all of
them with the codec in one vectorised call, and returns ``{'inputs':
(16, 2) tensor, 'index': i}`` per item; with ``collate_fn=dict(type=
'default_collate')`` a batch is ``{'inputs': (B, 16, 2), 'index': (B,)}``
(the index serves ``distillation.cache_targets``). No 3D field is ever
loaded into it.
``subjects`` (``TIPSyHuman36mDataset``'s) keeps only some subjects' poses:
the validation protocol trains on S1, S5, S6, S7 (``docs/protocol.md``).

``TIPSyResidentPose2DDataset`` goes one step further (issue 9): the whole
normalised set is one tensor on the training device, a batch is one
``index_select`` of the sampler's indices (``__getitems__``), and
``tipsy_batched_collate`` passes it through, so no pose is copied from the
host per step and no per-pose Python runs. The sampler is unchanged
(``DefaultSampler``, seeded, per-epoch permutation), so training is
bit-identical to ``TIPSyPose2DDataset`` on the same device.
"""
import numpy as np
import torch
from mmengine.registry import FUNCTIONS
from mmpose.registry import DATASETS, KEYPOINT_CODECS

from .h36m_subjects import TIPSyHuman36mDataset


@DATASETS.register_module()
class TIPSyPose2DDataset(TIPSyHuman36mDataset):
    """Normalised 2D poses of a Human3.6M annotation file, for training.

    Args:
        codec (dict): the input codec, ``TIPSyLiftingCodec`` by default.
        **kwargs: ``TIPSyHuman36mDataset``'s (``subjects``: e.g.
            ``['S1', 'S5', 'S6', 'S7']``, default all of the file) and
            ``Human36mDataset``'s (ann_file, data_root, indices, ...);
            only ``seq_len=1`` and ``keypoint_2d_src='gt'`` are supported,
            and ``pipeline`` is not used.
    """

    def __init__(self,
                 codec=dict(type='TIPSyLiftingCodec', num_keypoints=17,
                            root_index=0, remove_root=True),
                 **kwargs):
        if kwargs.get('seq_len', 1) != 1:
            raise ValueError('TIPSyPose2DDataset lifts single frames: '
                             'seq_len must be 1')
        if kwargs.get('keypoint_2d_src', 'gt') != 'gt':
            raise ValueError("TIPSyPose2DDataset reads ground-truth 2D: "
                             "keypoint_2d_src must be 'gt'")
        self.codec = KEYPOINT_CODECS.build(codec)
        lazy_init = kwargs.pop('lazy_init', False)
        super().__init__(lazy_init=True, **kwargs)
        if not lazy_init:
            self.full_init()

    def full_init(self):
        if self._fully_initialized:
            return
        # Human36mDataset's samples: the target (only) frame of each sequence.
        frames = np.array([seq[-1] for seq in self.sequence_indices],
                          dtype=np.int64)
        if self._indices is not None:
            frames = (frames[:self._indices] if isinstance(
                self._indices, int) else frames[np.asarray(self._indices)])
        # the annotation rows trained on (tests check the subjects)
        self.frame_indices = frames
        keypoints = self.ann_data['part'][frames, :, :2].astype(np.float32)
        # the open npz is not needed any more (and cannot be pickled)
        self.ann_data.close()
        self.ann_data = None
        encoded = self.codec.encode(keypoints)
        self.keypoint_labels = torch.from_numpy(encoded['keypoint_labels'])
        self.data_list = []  # nothing per sample
        self._fully_initialized = True

    def __len__(self):
        if not self._fully_initialized:
            self.full_init()
        return len(self.keypoint_labels)

    def __getitem__(self, idx):
        if not self._fully_initialized:
            self.full_init()
        # the index: a distillation target cache reads its rows by it
        return {'inputs': self.keypoint_labels[idx], 'index': idx}


@DATASETS.register_module()
class TIPSyResidentPose2DDataset(TIPSyPose2DDataset):
    """``TIPSyPose2DDataset`` held as one tensor on ``device``; batches are
    gathered there (``__getitems__``). Use it with
    ``collate_fn=dict(type='tipsy_batched_collate')``, ``num_workers=0``
    and ``pin_memory=False``; from any training config::

        --cfg-options train_dataloader.dataset.type=TIPSyResidentPose2DDataset \\
            train_dataloader.dataset.device=cuda \\
            train_dataloader.collate_fn.type=tipsy_batched_collate

    Args:
        device (str): where the poses live, e.g. ``'cuda'`` (default
            ``'cpu'``); the model's data preprocessor then has nothing to
            move.
        **kwargs: ``TIPSyPose2DDataset``'s.
    """

    def __init__(self, device='cpu', **kwargs):
        self.device = torch.device(device)
        super().__init__(**kwargs)

    def full_init(self):
        if self._fully_initialized:
            return
        super().full_init()
        self.keypoint_labels = self.keypoint_labels.to(self.device)

    def __getitems__(self, indices):
        """The batch of poses ``indices`` (a sampler's batch), gathered on
        the device: ``{'inputs': (B, 16, 2)}``."""
        if torch.utils.data.get_worker_info() is not None:
            raise RuntimeError(
                'TIPSyResidentPose2DDataset gathers batches on its device '
                'in the main process: set num_workers=0 in the dataloader')
        if not self._fully_initialized:
            self.full_init()
        index = torch.as_tensor(indices, dtype=torch.long).to(
            self.device, non_blocking=True)
        return {'inputs': self.keypoint_labels.index_select(0, index),
                'index': index}


@FUNCTIONS.register_module()
def tipsy_batched_collate(batch):
    """The collate of ``TIPSyResidentPose2DDataset``: its batch is already
    gathered, so it is returned as it is."""
    if not (isinstance(batch, dict) and torch.is_tensor(batch.get('inputs'))):
        raise TypeError(
            'tipsy_batched_collate takes the gathered batch of '
            "TIPSyResidentPose2DDataset ({'inputs': (B, 16, 2) tensor}), "
            f'got {type(batch).__name__}; per-pose datasets need '
            "collate_fn=dict(type='default_collate')")
    return batch
