"""TIPSy's lifter as parts of MMPose's own ``PoseLifter``.

- ``TIPSyLifterBackbone``: the trained TIPSy student (a ``ResidualLifter``,
  16 joints in and out) as a backbone. Input: what ``PoseLifter`` gets from
  ``PackPoseInputs`` with ``TIPSyLiftingCodec``, (B, 1, 16, 2) (or
  (B, 16, 2[, 1])); output: (B, 16, 3) = (x, y, ẑ) in the normalised frame.
- ``TIPSyLiftingHead``: no weights; decodes (x, y, ẑ) with the codec into
  root-relative 3D, multiplied by each pose's 2D scale
  (``gt_instances.keypoints_2d_scale``) when the data sample has it (so
  poses come out in pixel units), else in normalised units.
- ``TIPSyResidualBackbone``: the same residual trunk (stem and blocks,
  without the depth layer) as features (B, width, 1) for MMPose's
  ``TemporalRegressionHead``: the supervised reference, "the same network
  trained with 3D labels" through MMPose's own head and loss.

A ``PoseLifter`` with these parts is what ``mmpose.apis.init_model``,
``inference_pose_lifter_model`` and the 3D inferencer load, from a checkpoint
written by ``tools/export_student.py``.
"""
from typing import Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from mmpose.models.heads.base_head import BaseHead
from mmpose.registry import KEYPOINT_CODECS, MODELS

from ..core.networks import NUM_INPUT_JOINTS, ResidualLifter, ResidualMLP
from ..core.inputs import lifter_input_2d

from ..utils.checkpoint_kinds import POSE_LIFTER_KIND  # noqa: F401


def _check_checkpoint(module, state_dict, prefix):
    """Refuse a checkpoint that does not hold every weight of this module at
    its size, instead of silently keeping random weights."""
    # The loader hands each submodule only the keys under its prefix, so
    # an empty view is what any other kind of checkpoint looks like here.
    if not any(k.startswith(prefix) for k in state_dict):
        raise ValueError(
            f'the checkpoint has no {prefix}* weights for '
            f'{type(module).__name__}: it is not a PoseLifter checkpoint of '
            'this network. A TIPSyGAN training checkpoint must be exported '
            'first: tools/export_student.py CKPT OUT.pth')
    expected = module.state_dict()
    missing = [prefix + name for name in expected
               if prefix + name not in state_dict]
    if missing:
        found = sorted(k for k in state_dict if k.startswith(prefix))
        raise ValueError(
            f'the checkpoint lacks {len(missing)} of the {len(expected)} '
            f'weights of {type(module).__name__} ({", ".join(missing[:4])}'
            f'{", ..." if len(missing) > 4 else ""}); it holds '
            f'{", ".join(found[:3])}{", ..." if len(found) > 3 else ""}. '
            f'{_WHICH_CONFIG}')
    for name, value in expected.items():
        key = prefix + name
        if tuple(state_dict[key].shape) != tuple(value.shape):
            raise ValueError(
                f'{key}: the checkpoint has shape '
                f'{tuple(state_dict[key].shape)}, the config builds '
                f'{tuple(value.shape)}: the config\'s width/num_blocks do '
                'not match the exported network (see the checkpoint meta)')


_WHICH_CONFIG = (
    'Which config fits: an exported TIPSy student (backbone.lifter.net.*) '
    'loads with configs/tipsy_h36m_cpu_lifter.py (width 256) or '
    'configs/tipsy_h36m_lifter.py (width 1024); a supervised reference '
    '(backbone.stem.*, backbone.blocks.*) with configs/supervised_h36m_cpu.py;'
    ' a TIPSyGAN training checkpoint (lifter.*) with its training config, or '
    'export its student first (tools/export_student.py CKPT OUT.pth).')


class _CheckedLifterBackbone(BaseModule):
    """A single-frame backbone of fig. 4's residual network that refuses a
    checkpoint of another kind or size.

    Args:
        width, num_blocks, activation, dropout: the network's, as
            ``ResidualLifter``'s.
        validate_inputs (bool): raise on NaN, inf and all-zero poses.
    """

    causal = True  # single frame: the target frame is the only frame

    def __init__(self,
                 width: int = 1024,
                 num_blocks: int = 4,
                 activation: str = 'leaky_relu',
                 dropout: float = 0.0,
                 validate_inputs: bool = True,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.validate_inputs = validate_inputs
        self.build_network(width, num_blocks, activation, dropout)

    def build_network(self, width, num_blocks, activation, dropout):
        raise NotImplementedError

    def input_2d(self, inputs) -> torch.Tensor:
        """The batch's (B, 16, 2) 2D poses, checked (``lifter_input_2d``)."""
        return lifter_input_2d(inputs, self.validate_inputs)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        _check_checkpoint(self, state_dict, prefix)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)


@MODELS.register_module()
class TIPSyLifterBackbone(_CheckedLifterBackbone):
    """The TIPSy student: (B, 1, 16, 2) normalised 2D -> (B, 16, 3)."""

    def build_network(self, width, num_blocks, activation, dropout):
        self.lifter = ResidualLifter(NUM_INPUT_JOINTS, NUM_INPUT_JOINTS,
                                     width, num_blocks, activation, dropout)

    def forward(self, inputs) -> torch.Tensor:
        pose_2d = self.input_2d(inputs)
        depth = self.lifter(pose_2d)
        return torch.cat([pose_2d, depth.unsqueeze(-1)], dim=-1)


@MODELS.register_module()
class TIPSyResidualBackbone(_CheckedLifterBackbone):
    """The lifter's residual trunk as (B, width, 1) features (supervised).

    Linear-BN-act, ``num_blocks`` residual blocks: ``ResidualLifter``
    without its last linear layer and tanh, which MMPose's
    ``TemporalRegressionHead`` (a 1x1 conv to 16x3) replaces.
    """

    def build_network(self, width, num_blocks, activation, dropout):
        trunk = ResidualMLP(2 * NUM_INPUT_JOINTS, 1, width, num_blocks,
                            activation, dropout)
        self.stem, self.blocks = trunk.stem, trunk.blocks

    def forward(self, inputs) -> Tuple[torch.Tensor]:
        pose_2d = self.input_2d(inputs)
        features = self.blocks(self.stem(pose_2d.flatten(1)))
        return (features.unsqueeze(-1), )


@MODELS.register_module()
class TIPSyLiftingHead(BaseHead):
    """Decodes (x, y, ẑ) into ``pred_instances`` like MMPose's lifting heads.

    Args:
        decoder (dict): the codec, ``TIPSyLiftingCodec``.
    """

    def __init__(self, decoder: dict, init_cfg: Optional[dict] = None):
        super().__init__(init_cfg)
        self.decoder = KEYPOINT_CODECS.build(decoder)

    def forward(self, feats: Union[torch.Tensor, Sequence[torch.Tensor]]):
        return feats[-1] if isinstance(feats, (list, tuple)) else feats

    def predict(self, feats, batch_data_samples, test_cfg: dict = {}):
        poses = self.forward(feats).detach().cpu().numpy()
        instances = []
        for pose, sample in zip(poses, batch_data_samples):
            gt = sample.get('gt_instances', None)
            scale = None
            if gt is not None and 'keypoints_2d_scale' in gt:
                scale = np.asarray(gt.keypoints_2d_scale)
            keypoints, scores = self.decoder.decode(pose, scale)
            instances.append(
                InstanceData(keypoints=keypoints, keypoint_scores=scores))
        return instances

    def loss(self, feats, batch_data_samples, train_cfg: dict = {}):
        raise RuntimeError(
            'TIPSyLiftingHead has no weights to train: the student is '
            'trained by TIPSyGAN (configs/tipsy_h36m*.py) and exported with '
            'tools/export_student.py; the supervised reference uses '
            "MMPose's TemporalRegressionHead (configs/supervised_h36m_cpu.py)")
