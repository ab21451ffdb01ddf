"""Scoring a checkpoint fast: ``tools/test.py``'s metrics from whole arrays.

``tools/test.py`` scores a checkpoint through MMPose's per-pose pipeline
(one dict and one ``PoseDataSample`` per pose): about a minute for S9/S11
on a 2-core CPU. ``fast_evaluate`` gives the same numbers from arrays:

1. the frames and their normalised 2D, from the config's test dataset
   (``tipsy_gan.evaluation.fast_eval.prepare_split``; ``split='val'``
   scores S8, the validation protocol's subject);
2. the prediction: the config's model, its checkpoint loaded as
   ``tools/test.py`` loads it, in big batches: a TIPSy ``PoseLifter``
   (``TIPSyLifterBackbone`` + ``TIPSyLiftingHead``, decoded by its codec
   with each pose's 2D scale) or a ``TIPSyGAN`` (its test network,
   normalised units, as its ``forward``);
3. the metrics: the config's ``test_evaluator`` entries
   (``tipsy_gan.evaluation.fast_eval.compute_metrics``).

The evaluation package measures only; building and running models is here.
"""
import copy
import time
from typing import Dict, Optional

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpose.registry import MODELS

from .. import mmpose_modules  # noqa: F401  (TIPSy's registered parts)
from ..evaluation.fast_eval import (SPLITS, evaluate_predictions,  # noqa: F401
                                    prepare_split)
from ..models.pose_lifter_parts import TIPSyLiftingHead
from ..models.tipsy_gan_model import TIPSyGAN
from .loading import load_lifter
from ..utils.data_paths import resolve_data_roots

DEFAULT_BATCH_SIZE = 16384


def predict(model, inputs: np.ndarray, scales: np.ndarray,
            batch_size: int = DEFAULT_BATCH_SIZE) -> np.ndarray:
    """``(N, K, 3)`` root-relative predictions, as the model's ``predict``
    gives them to the metrics (module docstring)."""
    inputs = torch.from_numpy(np.ascontiguousarray(inputs))
    outputs = []
    with torch.no_grad():
        for start in range(0, len(inputs), batch_size):
            batch = inputs[start:start + batch_size]
            if isinstance(model, TIPSyGAN):
                outputs.append(model.predict_pose_3d(batch).numpy())
            elif isinstance(getattr(model, 'head', None), TIPSyLiftingHead):
                pose = model.backbone(batch).numpy()
                outputs.append(model.head.decoder.decode(
                    pose, scales[start:start + batch_size])[0])
            else:
                raise TypeError(
                    f'the fast evaluator scores TIPSyGAN models and '
                    f'PoseLifters with TIPSyLiftingHead, not '
                    f'{type(model).__name__}: use tools/test.py')
    return np.concatenate(outputs)


def fast_evaluate(config, checkpoint: Optional[str], split: str = 'test',
                  cfg_options: Optional[dict] = None,
                  batch_size: int = DEFAULT_BATCH_SIZE,
                  model=None) -> Dict[str, float]:
    """``tools/test.py``'s metrics of ``checkpoint`` on ``split``.

    Args:
        config (str | Config): a TIPSyGAN or TIPSy PoseLifter config.
        checkpoint (str | None): its weights ('none'/None: as built).
        split (str): 'test' (the config's test set) or 'val' (S8, the
            validation protocol's subject).
        cfg_options (dict, optional): merged into the config, as
            ``--cfg-options`` (e.g. ``{'test_dataloader.dataset.indices':
            1000}``).
        batch_size (int): poses per forward pass.
        model: an already built (and loaded) model to score instead, e.g.
            a training run's, for curves; ``checkpoint`` is then ignored.

    Returns:
        dict: the metrics, keyed as ``tools/test.py``'s ``--out`` file.
    """
    cfg = (copy.deepcopy(config) if isinstance(config, Config) else
           Config.fromfile(config))
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    resolve_data_roots(cfg)
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    prepared = prepare_split(cfg, split)
    if model is None:
        model = load_lifter(cfg, checkpoint).model
    return evaluate_prepared(model, prepared, cfg.test_evaluator, batch_size)


def evaluate_prepared(model, prepared: Dict[str, np.ndarray], evaluator_cfgs,
                      batch_size: int = DEFAULT_BATCH_SIZE
                      ) -> Dict[str, float]:
    """The metrics of ``model`` (scored in eval mode, then restored) on
    ``prepare_split``'s arrays."""
    was_training = model.training
    model.eval()
    try:
        pred = predict(model, prepared['inputs'], prepared['scales'],
                       batch_size)
    finally:
        model.train(was_training)
    return evaluate_predictions(pred, prepared, evaluator_cfgs)


def timed_fast_evaluate(*args, **kwargs):
    """``(metrics, seconds)`` of :func:`fast_evaluate`."""
    start = time.perf_counter()
    metrics = fast_evaluate(*args, **kwargs)
    return metrics, time.perf_counter() - start
