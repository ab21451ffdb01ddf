"""Lifters that need no training: the floor and the ceiling of the results table.

- ``ZeroDepthLifter`` predicts (x, y, 0) from the normalised 2D input: the
  "zero depth" row that every learned lifter must beat.
- ``RigidOracleLifter`` returns the ground-truth 3D pose under a random
  rotation, scale and translation. PA-MPJPE must score it ≈ 0, so it checks the
  evaluation loop end to end; it reads labels and is never a method.
"""
import torch
from mmengine.model import BaseModel
from mmengine.structures import InstanceData

from mmpose.registry import MODELS

from ..core.depth_flip import with_root
from ..core.inputs import lifter_input_2d


def _random_similarities(batch_size: int, generator: torch.Generator):
    """Random proper rotations (B, 3, 3), scales in [0.5, 2] (B,) and shifts (B, 3)."""
    options = dict(generator=generator, dtype=torch.float64)
    q, r = torch.linalg.qr(torch.randn(batch_size, 3, 3, **options))
    q = q * torch.sign(torch.diagonal(r, dim1=-2, dim2=-1)).unsqueeze(-2)
    # Make every rotation proper (det +1): a reflection is not a rigid motion.
    q[..., 0] *= torch.sign(torch.det(q)).unsqueeze(-1)
    scale = 0.5 + 1.5 * torch.rand(batch_size, **options)
    shift = torch.randn(batch_size, 3, **options)
    return q, scale, shift


class _ReferenceLifter(BaseModel):
    """Shared plumbing: no parameters to train, predictions as MMPose data samples."""

    def __init__(self, data_preprocessor=None, init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        # A parameter-free model still needs a device for mmengine's runner.
        self.register_buffer('_device_anchor', torch.zeros(1), persistent=False)

    def lift(self, inputs, data_samples):
        raise NotImplementedError

    def forward(self, inputs, data_samples=None, mode='predict'):
        if mode == 'loss':
            raise RuntimeError(f'{type(self).__name__} needs no training; '
                               'use it with tools/test.py only')
        keypoints_3d = self.lift(lifter_input_2d(inputs), data_samples)
        if mode == 'tensor':
            return keypoints_3d
        for sample, pose in zip(data_samples, keypoints_3d):
            sample.pred_instances = InstanceData(
                keypoints=pose[None].cpu().numpy(),
                keypoint_scores=torch.ones(1, pose.shape[0]).numpy())
        return data_samples


@MODELS.register_module()
class ZeroDepthLifter(_ReferenceLifter):
    """(x, y, 0): the normalised 2D pose with no depth at all."""

    def lift(self, inputs, data_samples):
        return with_root(torch.cat([inputs, torch.zeros_like(inputs[..., :1])], dim=-1))


@MODELS.register_module()
class RigidOracleLifter(_ReferenceLifter):
    """The ground truth under a random similarity transform (a check, not a method)."""

    def __init__(self, seed=0, **kwargs):
        super().__init__(**kwargs)
        self.generator = torch.Generator().manual_seed(seed)

    def lift(self, inputs, data_samples):
        targets = torch.stack([
            torch.as_tensor(sample.gt_instances.lifting_target,
                            dtype=torch.float64).reshape(-1, 3)
            for sample in data_samples
        ])
        rotation, scale, shift = _random_similarities(len(targets), self.generator)
        poses = scale[:, None, None] * targets @ rotation.transpose(1, 2) + shift[:, None]
        return poses.float()
