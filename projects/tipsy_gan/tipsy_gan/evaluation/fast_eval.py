"""The fast evaluator's data and metrics: ``tools/test.py``'s numbers from
whole arrays. This module measures only; building and running the models is
``tipsy_gan.apis.fast_eval``'s (``fast_evaluate``).

1. the frames: the config's dataset built lazily (``Human36mDataset``'s own
   frame selection, ``subjects``, its validity filter, then ``indices``),
   its 2D, 3D and image names read straight from the annotation file;
2. the input: the 2D normalised by the config's codec, in one call;
3. the metrics of given predictions: the config's ``test_evaluator``
   entries, built and scored by their own ``compute_metrics``
   (``tipsy_gan.core.pose_metrics``, already vectorised) on
   ``results_from_arrays``: the same keys, the same values.

``split='val'`` scores the validation protocol's subject (S8, from the train
file; ``docs/protocol.md``): the config's test dataset switched to
``TIPSyHuman36mDataset`` on the train file of the same folder with
``subjects=['S8']``, whatever the config's ``val_dataloader`` (most configs
name the S9/S11 test set there). For a ``configs/research/`` config both
splits are S8.
"""
import copy
import os.path as osp
from typing import Dict

import numpy as np
from mmengine.config import Config
from mmengine.logging import print_log
from mmpose.registry import DATASETS, KEYPOINT_CODECS, METRICS

from ..datasets.h36m_subjects import VALIDATION_SUBJECTS
from .metrics import _RootRelativePoseMetric, image_fields

SPLITS = ('test', 'val')


def split_dataset_cfg(cfg: Config, split: str = 'test') -> dict:
    """The dataset config that ``split`` scores (module docstring)."""
    if split not in SPLITS:
        raise ValueError(f'split must be one of {SPLITS}, got {split!r}')
    dataset = copy.deepcopy(cfg.test_dataloader.dataset)
    if split == 'val':
        # never a config's val_dataloader: most name the S9/S11 test set
        folder = osp.dirname(dataset.ann_file)
        if osp.basename(dataset.ann_file) == 'h36m_test.npz':
            dataset.ann_file = osp.join(folder, 'h36m_train.npz')
        dataset.update(type='TIPSyHuman36mDataset',
                       subjects=list(VALIDATION_SUBJECTS))
    return dataset


def input_codec_cfg(dataset_cfg: dict) -> dict:
    """The codec that encodes the dataset's inputs: its pipeline's
    ``GenerateTarget`` encoder."""
    for transform in dataset_cfg.get('pipeline', []):
        if isinstance(transform, dict) and transform.get(
                'type') == 'GenerateTarget':
            return copy.deepcopy(transform['encoder'])
    raise ValueError('the dataset has no GenerateTarget in its pipeline: no '
                     'codec to normalise its 2D with')


def load_split_arrays(dataset_cfg: dict) -> Dict[str, np.ndarray]:
    """The frames ``dataset_cfg`` yields, as arrays, in its order.

    Returns ``keypoints_2d`` ``(N, K, 2)`` float32 pixels, ``lifting_target``
    ``(N, K, 3)`` float32, ``lifting_target_visible`` ``(N, K)``,
    ``img_paths`` ``(N,)`` (the target image names).
    """
    dataset_cfg = dict(copy.deepcopy(dataset_cfg), lazy_init=True,
                       pipeline=[])
    if dataset_cfg.get('seq_len', 1) != 1 or dataset_cfg.get(
            'multiple_target', 0) or dataset_cfg.get('keypoint_2d_src',
                                                     'gt') != 'gt':
        raise ValueError('the fast evaluator scores single frames of '
                         'ground-truth 2D: seq_len=1, keypoint_2d_src=gt, no '
                         'multiple_target')
    indices = dataset_cfg.pop('indices', None)
    dataset = DATASETS.build(dataset_cfg)
    try:
        ann = dataset.ann_data
        target = -1 if dataset.causal else dataset.seq_len // 2
        frames = np.array([seq[target] for seq in dataset.sequence_indices],
                          dtype=np.int64)
        keypoints = ann['part'][frames, :, :2].astype(np.float32)
        # Human36mDataset (topdown) drops poses whose 2D is all <= 0
        valid = keypoints.reshape(len(frames), -1).max(axis=1) > 0
        frames, keypoints = frames[valid], keypoints[valid]
        if indices is not None:  # BaseDataset: after the filter
            picked = (np.arange(len(frames))[:indices] if indices >= 0 else
                      np.arange(len(frames))[indices:]) if isinstance(
                          indices, int) else np.asarray(indices,
                                                        dtype=np.int64)
            frames, keypoints = frames[picked], keypoints[picked]
        target_3d = ann['S'][frames].astype(np.float32)
        img_paths = ann['imgname'][frames]
    finally:
        dataset.ann_data.close()
    return dict(keypoints_2d=keypoints,
                lifting_target=target_3d[..., :3],
                lifting_target_visible=target_3d[..., 3],
                img_paths=img_paths)


def compute_metrics(evaluator_cfgs, pred, gt, mask, img_paths
                    ) -> Dict[str, float]:
    """Each evaluator's metrics (with its ``prefix``), as ``tools/test.py``
    reports them; evaluators that are not root-relative pose metrics (e.g.
    ``DumpResults``) are skipped."""
    if isinstance(evaluator_cfgs, dict):
        evaluator_cfgs = [evaluator_cfgs]
    metrics = {}
    fields = image_fields(img_paths)
    for metric_cfg in evaluator_cfgs:
        metric = METRICS.build(copy.deepcopy(metric_cfg))
        if not isinstance(metric, _RootRelativePoseMetric):
            print_log(f'fast_eval: {type(metric).__name__} skipped',
                      logger='current')
            continue
        results = metric.results_from_arrays(pred, gt, mask, img_paths,
                                              fields=fields)
        for key, value in metric.compute_metrics(results).items():
            name = '/'.join((metric.prefix, key)) if metric.prefix else key
            if name in metrics:
                raise ValueError(f'two evaluators report {name!r}')
            metrics[name] = value
    return metrics


def prepare_split(cfg: Config, split: str = 'test',
                  stride: int = 1) -> Dict[str, np.ndarray]:
    """The arrays that score ``split`` of ``cfg``: ``inputs`` (N, K, 2)
    normalised 2D, ``scales`` (N,) their 2D scales, ``lifting_target``,
    ``lifting_target_visible`` and ``img_paths``; every ``stride``-th frame
    (learning curves may subsample)."""
    dataset_cfg = split_dataset_cfg(cfg, split)
    arrays = load_split_arrays(dataset_cfg)
    if stride != 1:
        arrays = {k: v[::stride] for k, v in arrays.items()}
    codec = KEYPOINT_CODECS.build(input_codec_cfg(dataset_cfg))
    encoded = codec.encode(arrays.pop('keypoints_2d'))
    return dict(arrays, inputs=encoded['keypoint_labels'],
                scales=encoded['keypoints_2d_scale'])


def evaluate_predictions(pred: np.ndarray, prepared: Dict[str, np.ndarray],
                         evaluator_cfgs) -> Dict[str, float]:
    """The metrics of ``(N, K, 3)`` predictions of :func:`prepare_split`'s
    frames."""
    return compute_metrics(evaluator_cfgs, pred, prepared['lifting_target'],
                           prepared['lifting_target_visible'],
                           prepared['img_paths'])
