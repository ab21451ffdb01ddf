"""The one builder of TIPSy-GAN's pieces from a config's ``model`` dict.

``TIPSyGAN`` (through MMPose's ``MODELS`` registry) and the torch-only
trainer (through :data:`COMPONENTS`) both call :func:`build_tipsy`, so the
build order (it fixes the initialisation), the defaults and the checks live
here once. Every building block a config may name is listed in
:data:`COMPONENTS`; ``models/core_modules.py`` registers exactly these.
"""
import copy
import dataclasses
from typing import Callable, Optional, Sequence, Tuple

import torch

from .adversarial_step import AdversarialConfig
from .consistency_terms import AllAngleConsistency
from .distillation import DistillationConfig
from .gan_losses import BCEGANLoss, LeastSquaresGANLoss
from .geometry import Orthographic, Perspective
from .networks import (PartSplitLifter, PoseDiscriminator, ResidualLifter,
                       SoloLifter)
from .priors import (BoneProportionPrior, FacingPrior, HandsForwardPrior,
                     HipCollinearityPrior, KneeBendPrior, NoseForwardPrior)
from .sign_choice import PartSignChooser

# name -> class: what a config's model dict may name.
COMPONENTS = {c.__name__: c for c in (
    PartSplitLifter, SoloLifter, ResidualLifter, PoseDiscriminator,
    Orthographic, Perspective, BCEGANLoss, LeastSquaresGANLoss,
    KneeBendPrior, FacingPrior, HandsForwardPrior, BoneProportionPrior,
    NoseForwardPrior, HipCollinearityPrior, AllAngleConsistency,
    PartSignChooser)}

SIGN_CHOICE_USES = ('targets', 'predictions')
# the keyword arguments of build_tipsy: the model dict's pieces
MODEL_KEYS = ('lifter', 'discriminator', 'student', 'projection', 'gan_loss',
              'priors', 'terms', 'adversarial', 'distillation', 'sign_choice')


def build_component(spec: dict):
    """A :data:`COMPONENTS` class from ``dict(type=NAME, **kwargs)``."""
    if not isinstance(spec, dict) or spec.get('type') not in COMPONENTS:
        raise ValueError(f'unknown model piece {spec!r}: its type must be '
                         f'one of {sorted(COMPONENTS)}')
    spec = dict(spec)
    return COMPONENTS[spec.pop('type')](**spec)


@dataclasses.dataclass
class TIPSyPieces:
    """What :func:`build_tipsy` returns; ``teacher`` and ``student`` are None
    without a student, ``sign_chooser`` None without ``sign_choice``."""
    lifter: torch.nn.Module
    discriminator: torch.nn.Module
    teacher: Optional[torch.nn.Module]
    student: Optional[torch.nn.Module]
    adversarial: AdversarialConfig
    distillation: DistillationConfig
    sign_chooser: Optional[object]
    sign_choice_for: Tuple[str, ...]


def build_tipsy(lifter: dict,
                discriminator: Optional[dict] = None,
                student: Optional[dict] = None,
                projection: Optional[dict] = None,
                gan_loss: Optional[dict] = None,
                priors: Sequence[dict] = (),
                terms: Sequence[dict] = (),
                adversarial: Optional[dict] = None,
                distillation: Optional[dict] = None,
                sign_choice: Optional[dict] = None,
                build: Callable[[dict], object] = build_component
                ) -> TIPSyPieces:
    """The networks (lifter, D, teacher as a frozen copy of the lifter,
    student: in this order, drawing from torch's global generator), the
    ``AdversarialConfig`` (projection, GAN loss, priors of nonzero weight,
    terms, the ``adversarial`` options), the ``DistillationConfig`` and the
    optional sign chooser. The arguments are ``TIPSyGAN``'s (its docstring
    says what each holds); ``build`` turns one ``dict(type=...)`` into an
    object (MMPose's ``MODELS.build`` there, :func:`build_component` here).
    """
    lifter_net = build({'type': 'PartSplitLifter', **lifter})
    d_cfg = dict(type='PoseDiscriminator', width=lifter.get('width', 1024),
                 activation=lifter.get('activation', 'leaky_relu'))
    d_cfg.update(discriminator or {})
    discriminator_net = build(d_cfg)
    teacher = student_net = None
    if student is not None:
        teacher = copy.deepcopy(lifter_net).requires_grad_(False)
        student_net = build({'type': 'ResidualLifter', **student})

    config = AdversarialConfig(
        projection=build(projection or dict(type='Orthographic')),
        gan_loss=build(gan_loss or dict(type='BCEGANLoss')),
        priors=tuple(p for p in map(build, priors) if p.weight),
        terms=tuple(build(t) for t in terms),
        **(adversarial or {}))
    for name in lifter_net.parts:  # a missing weight fails here
        config.adversarial_weight(name)
    distillation_cfg = DistillationConfig(**{
        'max_azimuth': config.max_azimuth,
        'max_elevation': config.max_elevation, **(distillation or {})})

    chooser, uses = None, ()
    if sign_choice is not None:
        sign_choice = dict(sign_choice)
        uses = tuple(sign_choice.pop('use_for', SIGN_CHOICE_USES))
        unknown = sorted(set(uses) - set(SIGN_CHOICE_USES))
        if unknown or not uses:
            raise ValueError(f'sign_choice.use_for must name some of '
                             f'{SIGN_CHOICE_USES}, got {uses}')
        if sign_choice.get('priors') is not None:
            sign_choice['priors'] = [build(p) for p in sign_choice['priors']]
        sign_choice.setdefault('type', 'PartSignChooser')
        chooser = build(sign_choice)
    return TIPSyPieces(lifter_net, discriminator_net, teacher, student_net,
                       config, distillation_cfg, chooser, uses)
