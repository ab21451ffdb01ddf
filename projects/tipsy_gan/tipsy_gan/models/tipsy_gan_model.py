"""TIPSy-GAN as an mmengine model: glue around ``tipsy_gan.core``.

The networks, the projection, the GAN loss, the priors and the terms are
built from config through MMPose's ``MODELS`` registry; ``train_step`` hands them to
``core.adversarial_train_step`` (fig. 1) or, once ``TIPSyTrainLoop`` has
switched stages, to ``core.distillation_train_step`` (eq. 9).

Networks (all built at construction, so every checkpoint has the same keys):

- ``lifter``: the generator(s) trained adversarially (``PartSplitLifter``
  with any part split, or ``SoloLifter``).
- ``discriminator``: ``PoseDiscriminator`` over the whole 2D pose.
- with a ``student``: ``teacher``, a frozen copy of the lifter that the
  train loop fills at the switch (the averaged lifter with an EMAHook), and
  the full-pose TIPSy generator distilled from it.

Distributed training: ``model_wrapper_cfg=dict(
type='MMSeparateDistributedDataParallel')`` (as mmagic's GANs do); each
trained network is then its own DDP.
"""
import logging
from typing import Dict, Optional, Sequence

import torch
from mmengine.dist import get_rank
from mmengine.logging import print_log
from mmengine.model import BaseModel
from mmengine.structures import InstanceData
from mmpose.registry import MODELS

from ..core.adversarial_step import adversarial_train_step, unwrap
from ..core.depth_flip import with_root
from ..core.build import build_tipsy
from ..core.distillation import distillation_train_step, teacher_targets
from ..core.inputs import lifter_input_2d
from ..core.networks import (describe_network_dtype, eval_mode,
                             resolve_network_dtype)

TEST_NETWORKS = ('auto', 'lifter', 'teacher', 'student')


def with_root_3d(pose_2d: torch.Tensor, depth: torch.Tensor) -> torch.Tensor:
    """(B, 17, 3) = (x, y, ẑ) with the root at the origin prepended."""
    return with_root(torch.cat([pose_2d, depth.unsqueeze(-1)], dim=-1))


@MODELS.register_module()
class TIPSyGAN(BaseModel):
    """Adversarial lifting (part or solo generators) and distillation.

    Args:
        lifter (dict): a registered lifter, e.g. ``dict(type='PartSplitLifter',
            width=1024, parts=dict(legs=[...], torso=[...]))`` or
            ``dict(type='SoloLifter')``.
        discriminator (dict, optional): ``PoseDiscriminator`` arguments; by
            default the lifter's width and activation, 3 residual blocks.
        student (dict, optional): ``ResidualLifter`` arguments of the TIPSy
            generator (16 joints in and out). None: no distillation.
        projection (dict, optional): P, ``dict(type='Orthographic')`` (the
            paper, default) or ``dict(type='Perspective', depth_offset=d)``.
        gan_loss (dict, optional): default ``dict(type='BCEGANLoss')``, the
            paper's eq. 5 with 5 % label flips.
        priors (list[dict]): extra label-free loss terms, e.g.
            ``dict(type='KneeBendPrior', weight=1.0)``; one of weight 0 is
            left out (``--cfg-options model.priors.2.weight=0`` turns the
            third off).
        terms (list[dict]): extra generator loss terms that need the lifter
            (``core.consistency_terms``), e.g. eq. 15's
            ``dict(type='AllAngleConsistency', weight=1.0)``.
        adversarial (dict, optional): the other ``AdversarialConfig`` fields
            (loss weights, rotation ranges, view options).
        test_network (str): which network predicts: 'lifter', 'teacher',
            'student' or 'auto' (the student once distillation has begun,
            else the lifter).
        seed (int): seed of the step's random numbers (rank added).
        validate_inputs (bool): check every batch for NaN, inf and all-zero
            poses (one host sync per step; shapes are always checked).
        sign_choice (dict, optional): a label-free choice of each part's
            depth sign per pose (``core.sign_choice.PartSignChooser``; not
            in the paper), e.g. ``dict(rotations=8, discriminator_weight=1.0,
            use_for=('targets', 'predictions'))``. 'targets' corrects the
            teacher's depths before distillation; 'predictions' corrects
            what the test network predicts (over the lifter's part split;
            the discriminator's weights must then be in the checkpoint).
            ``priors`` (list[dict]) replaces its default sign priors.
        distillation (dict, optional): ``core.distillation.
            DistillationConfig``'s fields, e.g. ``dict(rotation_weight=1.0)``
            (not in the paper: the student also lifts rotated views of the
            teacher's poses) or ``dict(cache_targets=True)`` (the teacher
            lifts the training set once; the batch needs its ``index``).
            Its rotation ranges default to ``adversarial``'s.

    Everything above is built by ``core.build.build_tipsy`` (the torch-only
    trainer's builder too).
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
                 projection: Optional[dict] = None,
                 gan_loss: Optional[dict] = None,
                 priors: Sequence[dict] = (),
                 terms: Sequence[dict] = (),
                 adversarial: Optional[dict] = None,
                 test_network: str = 'auto',
                 seed: int = 0,
                 validate_inputs: bool = True,
                 sign_choice: Optional[dict] = None,
                 distillation: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        if test_network not in TEST_NETWORKS:
            raise ValueError(f'test_network must be one of {TEST_NETWORKS}, '
                             f'got {test_network!r}')
        if test_network in ('student', 'teacher') and student is None:
            raise ValueError(f"test_network={test_network!r} needs a student")

        # core.build: the build order, defaults and checks shared with the
        # torch-only trainer; MODELS.build so registered modules resolve.
        pieces = build_tipsy(
            lifter, discriminator, student, projection, gan_loss, priors,
            terms, adversarial, distillation, sign_choice, build=MODELS.build)
        self.lifter = pieces.lifter
        self.discriminator = pieces.discriminator
        self.teacher, self.student = pieces.teacher, pieces.student
        self.config = pieces.adversarial
        self.distillation = pieces.distillation
        self.sign_chooser = pieces.sign_chooser
        self.sign_choice_for = pieces.sign_choice_for
        self.test_network = test_network
        self.seed = int(seed)
        self.validate_inputs = validate_inputs
        # Set by TIPSyTrainLoop at the switch; a buffer, so checkpoints say
        # which stage they come from.
        self.register_buffer('distilling', torch.zeros((), dtype=torch.bool))
        self._rng: Optional[torch.Generator] = None
        self._loaded_rng_state: Optional[dict] = None
        self._announced_test_network = None
        self._announced_network_dtype = False
        # distillation.cache_targets: the training set's targets, set by
        # TIPSyTrainLoop when distillation begins (or resumes); not saved
        self.target_cache: Optional[torch.Tensor] = None

    # ----------------------------------------------------------- stages
    def start_distillation(self, source: torch.nn.Module) -> None:
        """Teacher := ``source`` (the lifter or its average); from now on
        ``train_step`` distils."""
        if self.student is None:
            raise RuntimeError('this TIPSyGAN has no student to distil into')
        self.teacher.load_state_dict(unwrap(source).state_dict())
        self.distilling.fill_(True)

    # ----------------------------------------------------------- rng
    def step_rng(self, device) -> torch.Generator:
        """The generator of the step's rotations and label flips, seeded with
        ``seed`` + rank on first use (or restored by a resume)."""
        device = torch.device(device)
        if self._rng is not None and self._rng.device.type == device.type:
            return self._rng
        self._rng = torch.Generator(device=device)
        self._rng.manual_seed(self.seed + get_rank())
        saved, self._loaded_rng_state = self._loaded_rng_state, None
        if saved is not None:
            if saved['device'] == device.type:
                self._rng.set_state(saved['state'])
            else:
                print_log(f'the checkpoint holds a {saved["device"]} random '
                          f'state; training on {device.type} reseeds with '
                          f'seed {self.seed}', logger='current',
                          level=logging.WARNING)
        return self._rng

    def random_state(self) -> Optional[dict]:
        if self._rng is not None:
            return dict(device=self._rng.device.type,
                        state=self._rng.get_state())
        return self._loaded_rng_state

    def load_random_state(self, state: dict) -> None:
        self._rng, self._loaded_rng_state = None, dict(state)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict,
                              missing_keys, unexpected_keys, error_msgs):
        if not any(k.startswith(prefix + 'lifter.') for k in state_dict):
            if any(k.startswith(prefix + 'backbone.') for k in state_dict):
                raise ValueError(
                    'this is an exported PoseLifter checkpoint (backbone.* '
                    'keys), not a TIPSyGAN training checkpoint: evaluate it '
                    'with configs/tipsy_h36m_lifter.py')
            raise ValueError('not a TIPSyGAN checkpoint: no lifter.* weights')
        self._check_complete(state_dict, prefix)
        super()._load_from_state_dict(state_dict, prefix, local_metadata,
                                      strict, missing_keys, unexpected_keys,
                                      error_msgs)

    def _check_complete(self, state_dict, prefix):
        """Every weight of the lifter, of each network the checkpoint holds
        any weight of, and of the student once distilling, must be there:
        a partial network would be scored with random weights."""
        own = self.state_dict(prefix=prefix, keep_vars=True)
        held = {k[len(prefix):].split('.')[0] for k in state_dict
                if k.startswith(prefix)}
        needed = held | {'lifter'}
        if ('predictions' in self.sign_choice_for
                and self.sign_chooser.discriminator_weight):
            needed.add('discriminator')  # the sign choice scores with D
        if bool(state_dict.get(prefix + 'distilling', False)):
            needed.add('student')
        missing = sorted(k for k in own if k[len(prefix):].split('.')[0]
                         in needed and k not in state_dict)
        if missing:
            raise ValueError(
                f'the checkpoint lacks {len(missing)} weights this TIPSyGAN '
                f'needs ({", ".join(missing[:4])}'
                f'{", ..." if len(missing) > 4 else ""}): it was written for '
                'another config or network size, or is damaged')

    # ----------------------------------------------------------- training
    def train_step(self, data, optim_wrapper) -> Dict[str, torch.Tensor]:
        """One adversarial (D then G) or one distillation update.

        ``optim_wrapper`` is an ``OptimWrapperDict`` with 'generator',
        'discriminator' and, with a student, 'student'. Only the 2D inputs
        are read; any 3D fields in the data samples are ignored.
        """
        data = self.data_preprocessor(data, True)
        pose_2d = lifter_input_2d(data['inputs'], self.validate_inputs)
        if not self._announced_network_dtype:
            print_log(describe_network_dtype(self.config.network_dtype,
                                             pose_2d.device),
                      logger='current')
            self._announced_network_dtype = True
        if bool(self.distilling):
            return distillation_train_step(
                self.student, self.teacher, pose_2d,
                optim_wrapper['student'], self.config.network_dtype,
                self.choose_signs if 'targets' in self.sign_choice_for
                else None, self.distillation, self.config.projection,
                self.step_rng(pose_2d.device), self._cached_targets(data))
        return adversarial_train_step(self.lifter, self.discriminator,
                                      pose_2d, self.config,
                                      optim_wrapper['generator'],
                                      optim_wrapper['discriminator'],
                                      self.step_rng(pose_2d.device))

    def cache_teacher_targets(self, poses_2d: torch.Tensor) -> None:
        """``distillation.cache_targets``: the teacher's (sign-corrected)
        targets of the whole (N, 16, 2) training set, once
        (``core.distillation.teacher_targets``)."""
        device = next(self.teacher.parameters()).device
        self.target_cache = teacher_targets(
            unwrap(self.teacher), poses_2d.to(device),
            self.config.network_dtype,
            self.choose_signs if 'targets' in self.sign_choice_for else None)

    def _cached_targets(self, data) -> Optional[torch.Tensor]:
        """The batch's rows of the target cache (None without one)."""
        if not self.distillation.cache_targets:
            return None
        if self.target_cache is None:
            raise RuntimeError('distillation.cache_targets: no target cache '
                               '(TIPSyTrainLoop fills it when distillation '
                               'begins)')
        index = data.get('index') if isinstance(data, dict) else None
        if index is None:
            raise ValueError(
                "distillation.cache_targets needs each pose's dataset index "
                "in the batch ('index', as TIPSyPose2DDataset returns)")
        return self.target_cache[index.to(self.target_cache.device)]

    def network_dtype_in_use(self) -> str:
        """The dtype the networks train in on this model's device
        ('float32' or the autocast dtype), for the checkpoint's meta."""
        device = next(self.lifter.parameters()).device
        return resolve_network_dtype(self.config.network_dtype,
                                     device) or 'float32'

    # ----------------------------------------------------------- inference
    def test_network_name(self) -> str:
        if self.test_network != 'auto':
            return self.test_network
        return 'student' if bool(self.distilling) else 'lifter'

    def _test_lifter(self):
        name = self.test_network_name()
        if name == 'teacher' and not bool(self.distilling):
            raise RuntimeError("test_network='teacher' but no teacher was "
                               'set (it is set when distillation begins)')
        if name != self._announced_test_network:
            self._announced_test_network = name
            print_log(f'TIPSyGAN predicts with the {name}', logger='current')
        return unwrap(getattr(self, name))

    def predict_depth(self, pose_2d: torch.Tensor) -> torch.Tensor:
        """(B, 16, 2) normalised 2D -> (B, 16) depths, test network, eval."""
        network = self._test_lifter()
        with torch.no_grad(), eval_mode(network):
            depth = network(pose_2d)
        if 'predictions' in self.sign_choice_for:
            depth = self.choose_signs(pose_2d, depth)
        return depth

    def choose_signs(self, pose_2d: torch.Tensor,
                     depth: torch.Tensor) -> torch.Tensor:
        """``depth`` with each part's sign (the lifter's split) chosen per
        pose by ``sign_choice``'s label-free scores."""
        return self.sign_chooser.choose(pose_2d, depth,
                                        unwrap(self.lifter).parts,
                                        self.config,
                                        unwrap(self.discriminator))[0]

    def predict_pose_3d(self, pose_2d: torch.Tensor) -> torch.Tensor:
        """(B, 16, 2) normalised 2D -> (B, 17, 3) root-relative (x, y, ẑ),
        the root at the origin: what ``forward`` hands the metrics."""
        return with_root_3d(pose_2d, self.predict_depth(pose_2d))

    def forward(self, inputs, data_samples: Optional[Sequence] = None,
                mode: str = 'predict'):
        if mode == 'loss':
            raise RuntimeError('TIPSyGAN trains through train_step (two '
                               'optimisers); there is no single loss')
        pose_2d = lifter_input_2d(inputs, validate=True)
        depth = self.predict_depth(pose_2d)
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
