"""Faster inference for a trained lifter: batch norm folded into the linear
layers, and optional bfloat16 weights for large batches.

``fold_batch_norm`` returns an eval-only copy whose every Linear–BatchNorm
pair (fig. 4's unit, ``networks.dense_layers``) is one Linear layer:

    BN(W x + b) = s ⊙ (W x + b − μ) + β,  s = γ / sqrt(σ² + ε)
                = (s ⊙ W) x + s ⊙ (b − μ) + β,

so each pair costs one matrix product and no normalisation pass. It is
exact up to rounding (a test checks 1e-5) and only for eval mode: in train
mode batch norm uses the batch's own statistics.

``lift_h36m_keypoints`` is the one lifting of pixel keypoints: the codec's
encoding, a lifter's (x, y, ẑ), the codec's decoding. The demos' MMPose
``PoseLifter`` (``apis.lifting``) and the torch-only student
(``standalone.lifting``) both go through it.
"""
import copy

import torch
from torch import nn

from .depth_flip import with_root
from .normalization import normalize_pose_2d


def lift_h36m_keypoints(lift_3d, keypoints_h36m: torch.Tensor
                        ) -> torch.Tensor:
    """(N, 17, 3) root-relative 3D in the 2D poses' pixel units from (N, 17,
    2) Human3.6M keypoints (root = pelvis, index 0).

    ``lift_3d`` maps the normalised (N, 16, 2) non-root 2D to its (N, 16, 3)
    lifted (x, y, ẑ). Encoding: root-centred, max-normalised, root row
    dropped (``normalize_pose_2d``); decoding: the root back at the origin,
    times each pose's 2D scale.
    """
    normalised, scale, _ = normalize_pose_2d(keypoints_h36m.float())
    return with_root(lift_3d(normalised[:, 1:])) * scale[:, None, None]


@torch.no_grad()
def _fold(linear, bn):
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    folded = nn.Linear(linear.in_features, linear.out_features,
                       device=linear.weight.device,
                       dtype=linear.weight.dtype)
    folded.weight.copy_(linear.weight * scale[:, None])
    bias = linear.bias if linear.bias is not None else torch.zeros_like(
        bn.running_mean)
    folded.bias.copy_((bias - bn.running_mean) * scale + bn.bias)
    return folded


def _fold_sequential(sequential):
    children = list(sequential.children())
    out, i = [], 0
    while i < len(children):
        child = children[i]
        nxt = children[i + 1] if i + 1 < len(children) else None
        if isinstance(child, nn.Linear) and isinstance(nxt, nn.BatchNorm1d):
            out.append(_fold(child, nxt))
            i += 2
        else:
            out.append(child)
            i += 1
    return nn.Sequential(*out)


def fold_batch_norm(module):
    """An eval-mode copy of ``module`` with every Linear followed by
    BatchNorm1d (inside an ``nn.Sequential``) merged into one Linear."""
    module = copy.deepcopy(module).eval()
    if isinstance(module, nn.Sequential):
        module = _fold_sequential(module)
    _fold_children(module)
    return module


def _fold_children(module):
    for name, child in list(module.named_children()):
        if isinstance(child, nn.Sequential):
            child = _fold_sequential(child)
            setattr(module, name, child)
        _fold_children(child)
