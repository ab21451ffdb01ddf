"""TIPSy-GAN as an mmengine model: adversarial stage, then distillation (§3.5-3.6).

The model holds the networks and calls :mod:`tipsy_gan.core` for every loss;
nothing here re-implements the paper's maths.

Networks (all built at construction, so every checkpoint has the same keys):

- ``lifter``: the generator(s) trained adversarially, ``PartSplitLifter``
  (leg + torso) or ``SoloLifter``.
- ``discriminator``: ``PoseDiscriminator`` over the whole 2D pose.
- ``teacher``: a frozen copy of the lifter's architecture that
  :class:`~tipsy_gan.engine.hooks.TIPSyStageHook` fills by the stopping rule
  (last epoch, a fixed epoch, or the mean over an epoch range, §4.3). The
  lifter itself keeps training and stays inspectable.
- ``student`` (optional): the full-pose TIPSy generator distilled from the
  teacher (eq. 6/9). ``student=None`` trains the adversarial stage only
  (the solo and leg+torso baselines).

Training is phased by epoch (0-based, as ``runner.epoch``): epochs
``[0, adversarial_epochs)`` are adversarial, the following
``distillation_epochs`` distil. Each ``train_step`` reads the current epoch
from mmengine's ``MessageHub`` (``RuntimeInfoHook`` writes it), and logs a
message when the phase changes.

Randomness of the step (rotations and label flips) comes from one
``torch.Generator`` seeded with ``seed`` (+ the process rank) whose state is
part of ``state_dict`` (``get_extra_state``), so a resumed run draws the same
numbers as an uninterrupted one.

Distributed training: use ``model_wrapper_cfg=dict(
type='MMSeparateDistributedDataParallel')`` (as mmagic's GANs do). Each
trainable submodule is then its own DDP; the lifter is called twice before
its backward (the real pass and the batched views), which DDP allows since
every lifter parameter gets its gradient in that one backward. The
discriminator is called unwrapped (``.module``) in the generator step, so its
DDP never waits for gradients that the frozen pass does not produce.
"""
import copy
import logging
from typing import Dict, Optional, Sequence

import torch
from mmengine.dist import get_rank
from mmengine.logging import MessageHub, print_log
from mmengine.model import BaseModel, is_model_wrapper
from mmengine.structures import InstanceData
from mmpose.registry import MODELS

from ..core.adversarial_step import (AdversarialConfig, discriminator_losses,
                                     generator_losses, lift_views)
from ..core.depth_flip import with_root
from ..core.distillation import distillation_losses
from ..core.networks import (NUM_INPUT_JOINTS, PartSplitLifter,
                             PoseDiscriminator, ResidualLifter, SoloLifter,
                             eval_mode)

ADVERSARIAL = 'adversarial'
DISTILLATION = 'distillation'
LIFTER_TYPES = {'PartSplitLifter': PartSplitLifter, 'SoloLifter': SoloLifter}
TEST_NETWORKS = ('auto', 'lifter', 'teacher', 'student')


def _unwrap(module):
    return module.module if is_model_wrapper(module) else module


def _pose_indices(mask: torch.Tensor, limit=10):
    """'[0, 3, 7]' (at most ``limit`` shown) for a (B,) boolean mask."""
    bad = mask.nonzero().flatten().tolist()
    shown = ', '.join(map(str, bad[:limit]))
    return f'[{shown}{", ..." if len(bad) > limit else ""}] ({len(bad)} of ' \
        f'{mask.numel()})'


def lifter_input_2d(inputs, validate: bool = True) -> torch.Tensor:
    """The (B, 16, 2) normalised 2D poses in a batch, checked.

    Accepts what ``PackPoseInputs`` with ``TIPSyLiftingCodec`` gives (a list
    of (1, 16, 2) tensors, or their stack (B, 1, 16, 2)), MMPose's
    (B, 16, 2, 1) keypoint-channel-time layout, and plain (B, 16, 2).

    Raises:
        ValueError: naming the problem: wrong type, a sequence of more than
            one frame, a wrong keypoint count or layout, NaN or infinite
            coordinates, or an all-zero pose.
    """
    if isinstance(inputs, (list, tuple)):
        if not inputs:
            raise ValueError('empty batch: no 2D poses given')
        inputs = torch.stack(list(inputs))
    if not isinstance(inputs, torch.Tensor):
        raise ValueError(f'2D poses must be a tensor, got {type(inputs)}')
    shape = tuple(inputs.shape)
    if inputs.dim() == 4:
        if shape[1] == 1:  # (B, T=1, K, C) from PackPoseInputs
            inputs = inputs[:, 0]
        elif shape[-1] == 1:  # (B, K, C, T=1)
            inputs = inputs[..., 0]
        else:
            raise ValueError(
                f'wrong layout {shape}: TIPSy lifts single frames, expected '
                f'(B, {NUM_INPUT_JOINTS}, 2), (B, 1, {NUM_INPUT_JOINTS}, 2) '
                f'or (B, {NUM_INPUT_JOINTS}, 2, 1)')
    if inputs.dim() != 3:
        raise ValueError(f'wrong layout {shape}: expected 2D poses of shape '
                         f'(B, {NUM_INPUT_JOINTS}, 2)')
    if inputs.shape[1] == 2 and inputs.shape[2] == NUM_INPUT_JOINTS:
        raise ValueError(
            f'wrong layout {shape}: coordinates first; expected (B, '
            f'{NUM_INPUT_JOINTS}, 2) with (x, y) in the last dimension')
    if inputs.shape[2] != 2:
        raise ValueError(f'wrong layout {shape}: expected 2 coordinates (x, '
                         f'y) per keypoint, got {inputs.shape[2]}')
    if inputs.shape[1] != NUM_INPUT_JOINTS:
        raise ValueError(
            f'wrong keypoint count: expected {NUM_INPUT_JOINTS} keypoints '
            f'(the 17 Human3.6M joints without the root), got '
            f'{inputs.shape[1]} (shape {shape})')
    if not inputs.is_floating_point():
        inputs = inputs.float()
    if validate:
        per_pose = inputs.flatten(1)
        finite = torch.isfinite(per_pose).all(1)
        zero = (per_pose == 0).all(1)
        # one host sync on the good path; details only for a bad batch
        if bool((~finite | zero).any()):
            nan = torch.isnan(per_pose).any(1)
            if nan.any():
                raise ValueError('NaN coordinates in 2D pose(s) '
                                 f'{_pose_indices(nan)}')
            inf = torch.isinf(per_pose).any(1)
            if inf.any():
                raise ValueError('infinite coordinates in 2D pose(s) '
                                 f'{_pose_indices(inf)}')
            raise ValueError('all-zero 2D pose(s) (every keypoint at the '
                             f'root): {_pose_indices(zero)}')
    return inputs


def with_root_3d(pose_2d: torch.Tensor, depth: torch.Tensor) -> torch.Tensor:
    """(B, 17, 3) = (x, y, ẑ) with the root at the origin prepended."""
    return with_root(torch.cat([pose_2d, depth.unsqueeze(-1)], dim=-1))


@torch.no_grad()
def average_into(target: torch.nn.Module, source: torch.nn.Module,
                 count: int) -> None:
    """``target`` := mean of its ``count`` earlier snapshots and ``source``.

    Running uniform mean of every floating parameter and buffer (BatchNorm
    running means and variances included); integer buffers (BN's batch
    counter) take the latest value.
    """
    source_state = source.state_dict()
    for name, value in target.state_dict().items():
        new = source_state[name]
        if count == 0 or not value.is_floating_point():
            value.copy_(new)
        else:
            value.add_(new - value, alpha=1.0 / (count + 1))


@MODELS.register_module()
class TIPSyGAN(BaseModel):
    """Adversarial lifting (part or solo generators) and distillation.

    Args:
        lifter (dict): ``type`` ('PartSplitLifter' or 'SoloLifter') and its
            arguments (width, num_blocks, activation, dropout).
        discriminator (dict): ``PoseDiscriminator`` arguments; by default the
            lifter's width and activation with 3 residual blocks (§3.4).
        student (dict, optional): ``ResidualLifter`` arguments of the TIPSy
            generator (16 joints in and out). None: no distillation.
        adversarial (dict, optional): ``AdversarialConfig`` fields; the
            defaults are the paper's.
        adversarial_epochs (int): epochs of the adversarial stage.
        distillation_epochs (int): epochs of distillation (0 without a
            student).
        test_network (str): which network predicts: 'lifter', 'teacher',
            'student' or 'auto' (the student once distillation has trained
            it, else the teacher once the stopping rule has set it, else the
            lifter).
        seed (int): seed of the step's random numbers (rank added).
        validate_inputs (bool): check every batch for NaN, inf and all-zero
            poses (one host sync per step; shapes are always checked).
    """

    # optimiser-wrapper name -> attribute, for TIPSyOptimWrapperConstructor
    optim_wrapper_modules = {
        'generator': 'lifter',
        'discriminator': 'discriminator',
        'student': 'student',
    }

    def __init__(self,
                 lifter: dict,
                 discriminator: Optional[dict] = None,
                 student: Optional[dict] = None,
                 adversarial: Optional[dict] = None,
                 adversarial_epochs: int = 1,
                 distillation_epochs: int = 0,
                 test_network: str = 'auto',
                 seed: int = 0,
                 validate_inputs: bool = True,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        lifter = dict(lifter)
        lifter_type = lifter.pop('type', 'PartSplitLifter')
        if lifter_type not in LIFTER_TYPES:
            raise ValueError(f'lifter type must be one of '
                             f'{sorted(LIFTER_TYPES)}, got {lifter_type!r}')
        if adversarial_epochs < 1:
            raise ValueError('adversarial_epochs must be >= 1, got '
                             f'{adversarial_epochs}')
        if distillation_epochs < 0:
            raise ValueError('distillation_epochs must be >= 0')
        if distillation_epochs > 0 and student is None:
            raise ValueError(f'distillation_epochs={distillation_epochs} '
                             'needs a student')
        if test_network not in TEST_NETWORKS:
            raise ValueError(f'test_network must be one of {TEST_NETWORKS}, '
                             f'got {test_network!r}')
        if test_network == 'student' and student is None:
            raise ValueError("test_network='student' needs a student")

        self.lifter = LIFTER_TYPES[lifter_type](**lifter)
        d_cfg = dict(width=lifter.get('width', 1024),
                     activation=lifter.get('activation', 'leaky_relu'))
        d_cfg.update(discriminator or {})
        self.discriminator = PoseDiscriminator(**d_cfg)
        self.teacher = copy.deepcopy(self.lifter).requires_grad_(False)
        self.student = (None if student is None else ResidualLifter(
            NUM_INPUT_JOINTS, NUM_INPUT_JOINTS, **student))

        self.adversarial = AdversarialConfig(**(adversarial or {}))
        self.adversarial_epochs = int(adversarial_epochs)
        self.distillation_epochs = int(distillation_epochs)
        self.test_network = test_network
        self.seed = int(seed)
        self.validate_inputs = validate_inputs
        # Snapshots averaged into the teacher (0: not set yet) and student
        # updates so far; buffers so that checkpoints carry them.
        self.register_buffer('teacher_snapshots', torch.zeros((), dtype=torch.long))
        self.register_buffer('distillation_iters', torch.zeros((), dtype=torch.long))
        self._rng: Optional[torch.Generator] = None
        self._loaded_rng_state: Optional[dict] = None
        self._announced_phase = None
        self._announced_test_network = None

    # ----------------------------------------------------------- phases
    @property
    def max_epochs(self) -> int:
        return self.adversarial_epochs + self.distillation_epochs

    def phase_at(self, epoch: int) -> str:
        """'adversarial' or 'distillation' for a 0-based epoch."""
        if epoch < self.adversarial_epochs:
            return ADVERSARIAL
        if self.student is None:
            raise RuntimeError(
                f'epoch {epoch + 1} is past adversarial_epochs='
                f'{self.adversarial_epochs} and there is no student to '
                'distil: set train_cfg.max_epochs = adversarial_epochs')
        return DISTILLATION

    @staticmethod
    def current_epoch() -> int:
        return int(MessageHub.get_current_instance().get_info('epoch', 0))

    def _announce_phase(self, phase, epoch):
        if phase == self._announced_phase:
            return
        self._announced_phase = phase
        if phase == ADVERSARIAL:
            detail = (f'{type(_unwrap(self.lifter)).__name__} vs. the '
                      f'discriminator until epoch {self.adversarial_epochs}')
        else:
            detail = (f'student learns the teacher (mean of '
                      f'{int(self.teacher_snapshots)} lifter snapshot(s)) '
                      f'until epoch {self.max_epochs}')
        print_log(f'TIPSyGAN phase: {phase} from epoch {epoch + 1}: {detail}',
                  logger='current')

    # ----------------------------------------------------------- teacher
    def snapshot_teacher(self) -> None:
        """Teacher := the lifter's current weights (one snapshot)."""
        average_into(self.teacher, _unwrap(self.lifter), 0)
        self.teacher_snapshots.fill_(1)

    def average_into_teacher(self) -> None:
        """Add the lifter's current weights to the teacher's uniform mean."""
        average_into(self.teacher, _unwrap(self.lifter),
                     int(self.teacher_snapshots))
        self.teacher_snapshots.add_(1)

    # ----------------------------------------------------------- rng
    def _step_rng(self, device) -> torch.Generator:
        device = torch.device(device)
        if self._rng is not None and self._rng.device.type == device.type:
            return self._rng
        self._rng = torch.Generator(device=device)
        self._rng.manual_seed(self.seed + get_rank())
        saved = self._loaded_rng_state
        if saved is not None:
            if saved['device'] == device.type:
                self._rng.set_state(saved['state'])
            else:
                print_log(f'the checkpoint holds a {saved["device"]} random '
                          f'state; training on {device.type} reseeds with '
                          f'seed {self.seed}', logger='current',
                          level=logging.WARNING)
            self._loaded_rng_state = None
        return self._rng

    # One uint8 tensor, [device code, generator state...]: mmengine
    # broadcasts every state_dict entry as a tensor when training starts.
    _RNG_DEVICES = ('none', 'cpu', 'cuda')

    def get_extra_state(self):
        if self._rng is not None:
            device, state = self._rng.device.type, self._rng.get_state()
        elif self._loaded_rng_state is not None:
            device, state = (self._loaded_rng_state['device'],
                             self._loaded_rng_state['state'])
        else:
            device, state = 'none', torch.zeros(0, dtype=torch.uint8)
        code = torch.tensor([self._RNG_DEVICES.index(device)],
                            dtype=torch.uint8)
        return torch.cat([code, state.cpu()])

    def set_extra_state(self, state):
        self._rng = None
        self._loaded_rng_state = None
        device = self._RNG_DEVICES[int(state[0])]
        if device != 'none':
            self._loaded_rng_state = {'device': device,
                                      'state': state[1:].cpu().clone()}

    def _load_from_state_dict(self, state_dict, prefix, local_metadata,
                              strict, missing_keys, unexpected_keys,
                              error_msgs):
        own = [k for k in state_dict if k.startswith(prefix + 'lifter.')]
        if not own:
            if any(k.startswith(prefix + 'backbone.') for k in state_dict):
                raise ValueError(
                    'this is an exported PoseLifter checkpoint (backbone.* '
                    'keys), not a TIPSyGAN training checkpoint: evaluate it '
                    'with configs/tipsy_h36m_lifter.py')
            raise ValueError('not a TIPSyGAN checkpoint: no lifter.* weights')
        super()._load_from_state_dict(state_dict, prefix, local_metadata,
                                      strict, missing_keys, unexpected_keys,
                                      error_msgs)

    # ----------------------------------------------------------- training
    def train_step(self, data, optim_wrapper) -> Dict[str, torch.Tensor]:
        """One adversarial (D then G) or one distillation update.

        ``optim_wrapper`` is an ``OptimWrapperDict`` with 'generator',
        'discriminator' and, with a student, 'student'. Only the 2D inputs
        are read; any 3D fields in the data samples are ignored.
        """
        data = self.data_preprocessor(data, True)
        pose_2d = lifter_input_2d(data['inputs'], self.validate_inputs)
        epoch = self.current_epoch()
        phase = self.phase_at(epoch)
        self._announce_phase(phase, epoch)
        if phase == ADVERSARIAL:
            return self._adversarial_step(pose_2d, optim_wrapper)
        return self._distillation_step(pose_2d, optim_wrapper)

    def _adversarial_step(self, pose_2d, optim_wrapper):
        g_wrapper = optim_wrapper['generator']
        d_wrapper = optim_wrapper['discriminator']
        rng = self._step_rng(pose_2d.device)
        config = self.adversarial
        with g_wrapper.optim_context(self.lifter):
            views = lift_views(self.lifter, pose_2d, config, rng)
        with d_wrapper.optim_context(self.discriminator):
            d_out = discriminator_losses(self.discriminator, pose_2d,
                                         views.fake_2d, config, rng)
        d_wrapper.update_params(d_out['loss'])
        with g_wrapper.optim_context(self.lifter):
            g_out = generator_losses(_unwrap(self.lifter),
                                     _unwrap(self.discriminator), views,
                                     config)
        g_wrapper.update_params(g_out['loss'])
        logs = {('d_loss' if k == 'loss' else k): v.detach()
                for k, v in d_out.items()}
        logs.update({('g_loss' if k == 'loss' else k): v.detach()
                     for k, v in g_out.items()})
        return logs

    def _distillation_step(self, pose_2d, optim_wrapper):
        if int(self.teacher_snapshots) == 0:
            raise RuntimeError(
                'distillation needs a teacher, but none was set: add '
                "custom_hooks=[dict(type='TIPSyStageHook', stopping=...)]")
        s_wrapper = optim_wrapper['student']
        with s_wrapper.optim_context(self.student):
            out = distillation_losses(self.student, self.teacher, pose_2d)
        s_wrapper.update_params(out['loss'])
        self.distillation_iters.add_(1)
        return {'s_loss': out['loss'].detach()}

    # ----------------------------------------------------------- inference
    def test_network_name(self) -> str:
        if self.test_network != 'auto':
            return self.test_network
        if self.student is not None and int(self.distillation_iters) > 0:
            return 'student'
        if int(self.teacher_snapshots) > 0:
            return 'teacher'
        return 'lifter'

    def _test_lifter(self):
        name = self.test_network_name()
        if name == 'teacher' and int(self.teacher_snapshots) == 0:
            raise RuntimeError("test_network='teacher' but no teacher was "
                               'set (train through the stopping rule first)')
        if name != self._announced_test_network:
            self._announced_test_network = name
            print_log(f'TIPSyGAN predicts with the {name}', logger='current')
        return _unwrap(getattr(self, name))

    def lift(self, pose_2d: torch.Tensor) -> torch.Tensor:
        """(B, 16, 2) normalised 2D -> (B, 16) depths, test network, eval."""
        network = self._test_lifter()
        with torch.no_grad(), eval_mode(network):
            return network(pose_2d)

    def forward(self, inputs, data_samples: Optional[Sequence] = None,
                mode: str = 'predict'):
        if mode == 'loss':
            raise RuntimeError('TIPSyGAN trains through train_step (two '
                               'optimisers); there is no single loss')
        pose_2d = lifter_input_2d(inputs, validate=True)
        depth = self.lift(pose_2d)
        if mode == 'tensor':
            return depth
        if mode != 'predict':
            raise ValueError(f'unknown mode {mode!r}')
        if data_samples is None:
            raise ValueError("mode='predict' needs data_samples")
        keypoints = with_root_3d(pose_2d, depth).cpu().numpy()
        for sample, pose in zip(data_samples, keypoints):
            sample.pred_instances = InstanceData(
                keypoints=pose[None],
                keypoint_scores=torch.ones(1, pose.shape[0]).numpy())
        return data_samples

