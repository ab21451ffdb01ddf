"""The standalone recipe: what an mmengine TIPSy config trains, as JSON.

``tools/gpu/export_recipe.py CONFIG OUT.json`` writes it on the CPU side (it
reads the config with mmengine and refuses what this trainer does not
reproduce); :func:`load_recipe` reads it here, without mmengine, and
:func:`build_networks` / :func:`build_adversarial_config` build the same core
objects, by name, as ``TIPSyGAN`` builds through MMPose's registry.

Version 1 fields::

    format, version          'tipsy-standalone-recipe', 1
    config_file, config_text the config and its text (mmengine's pretty_text,
                             which checkpoints carry as meta['cfg'])
    seed                     randomness.seed: model init and data order
    step_seed                model.seed: the step's rotations and label flips
    model                    lifter, discriminator, student (or null),
                             projection, gan_loss, priors, terms,
                             adversarial, test_network: each a dict with
                             'type' + kwargs
                             (discriminator/student with TIPSyGAN's defaults
                             filled in)
    optim                    generator/discriminator/student: {type: 'Adam'
                             or 'AdamW', lr, and any of betas, eps,
                             weight_decay, amsgrad}
    batch_size, drop_last    the train loader (shuffled by DefaultSampler)
    stages                   adversarial_epochs, distillation_epochs
    averaging                null or EMAHook's: type, begin_epoch,
                             begin_iter, interval, update_buffers, momentum,
                             gamma
    data                     the train dataset's ann_file, data_root,
                             indices (for the record)
"""
import copy
import dataclasses
import json
from typing import Dict, List, Optional

import torch

from ..core.adversarial_step import AdversarialConfig
from ..core.gan_losses import BCEGANLoss, LeastSquaresGANLoss
from ..core.geometry import Orthographic, Perspective
from ..core.networks import (PartSplitLifter, PoseDiscriminator,
                             ResidualLifter, SoloLifter)
from ..core.priors import FacingPrior, KneeBendPrior

FORMAT = 'tipsy-standalone-recipe'
VERSION = 1

# name -> class: the part of MMPose's MODELS registry that TIPSyGAN uses.
NETWORKS = {c.__name__: c for c in (PartSplitLifter, SoloLifter,
                                    ResidualLifter, PoseDiscriminator)}
PROJECTIONS = {c.__name__: c for c in (Orthographic, Perspective)}
GAN_LOSSES = {c.__name__: c for c in (BCEGANLoss, LeastSquaresGANLoss)}
PRIORS = {c.__name__: c for c in (KneeBendPrior, FacingPrior)}
OPTIMIZERS = {'Adam': torch.optim.Adam, 'AdamW': torch.optim.AdamW}
OPTIMIZER_KEYS = ('lr', 'betas', 'eps', 'weight_decay', 'amsgrad', 'fused')


def terms_table():
    """Generator terms that need the lifter (``core.consistency_terms``,
    where this checkout has it)."""
    try:
        from ..core import consistency_terms
    except ImportError:
        return {}
    return {name: getattr(consistency_terms, name)
            for name in ('AllAngleConsistency', )
            if hasattr(consistency_terms, name)}


AVERAGING_TYPES = ('ExponentialMovingAverage', 'StochasticWeightAverage',
                   'MomentumAnnealingEMA')


class RecipeError(ValueError):
    """A recipe this trainer cannot train exactly."""


@dataclasses.dataclass
class Recipe:
    config_file: str
    config_text: str
    seed: int
    step_seed: int
    model: dict
    optim: Dict[str, dict]
    batch_size: int
    drop_last: bool
    stages: Dict[str, int]
    averaging: Optional[dict]
    data: dict
    source: Optional[str] = None  # the JSON file it was read from

    @property
    def adversarial_epochs(self) -> int:
        return int(self.stages['adversarial_epochs'])

    @property
    def distillation_epochs(self) -> int:
        return int(self.stages['distillation_epochs'])

    def to_json(self) -> dict:
        out = dict(format=FORMAT, version=VERSION)
        out.update({f.name: getattr(self, f.name)
                    for f in dataclasses.fields(self) if f.name != 'source'})
        return out

    def with_width(self, width: int) -> 'Recipe':
        """The same recipe with every network at ``width`` (dry runs)."""
        recipe = copy.deepcopy(self)
        for name in ('lifter', 'discriminator', 'student'):
            if recipe.model.get(name) is not None:
                recipe.model[name]['width'] = int(width)
        return recipe


def _require(mapping, key, where):
    if key not in mapping:
        raise RecipeError(f'recipe: {where} has no {key!r}')
    return mapping[key]


def _check_typed(spec, table, where):
    if not isinstance(spec, dict) or spec.get('type') not in table:
        raise RecipeError(f'recipe: {where} must be a dict whose type is one '
                          f'of {sorted(table)}, got {spec!r}')


def validate(data: dict) -> Recipe:
    if data.get('format') != FORMAT:
        raise RecipeError(f'not a {FORMAT} file (format '
                          f'{data.get("format")!r})')
    if data.get('version') != VERSION:
        raise RecipeError(f'recipe version {data.get("version")!r}; this '
                          f'trainer reads version {VERSION}: export it again '
                          'with tools/gpu/export_recipe.py')
    fields = {f.name for f in dataclasses.fields(Recipe)} - {'source'}
    missing = sorted(fields - set(data))
    if missing:
        raise RecipeError(f'recipe: missing {missing}')
    recipe = Recipe(**{k: data[k] for k in fields})
    model = recipe.model
    _check_typed(_require(model, 'lifter', 'model'), NETWORKS, 'model.lifter')
    _check_typed(_require(model, 'discriminator', 'model'), NETWORKS,
                 'model.discriminator')
    if model.get('student') is not None:
        _check_typed(model['student'], NETWORKS, 'model.student')
    _check_typed(_require(model, 'projection', 'model'), PROJECTIONS,
                 'model.projection')
    _check_typed(_require(model, 'gan_loss', 'model'), GAN_LOSSES,
                 'model.gan_loss')
    for i, prior in enumerate(model.get('priors') or []):
        _check_typed(prior, PRIORS, f'model.priors[{i}]')
    for i, term in enumerate(model.get('terms') or []):
        _check_typed(term, terms_table(), f'model.terms[{i}]')
    for name in ('generator', 'discriminator') + (
            ('student', ) if model.get('student') is not None else ()):
        spec = _require(recipe.optim, name, 'optim')
        if spec.get('type') not in OPTIMIZERS:
            raise RecipeError(f'recipe: optim.{name}.type must be one of '
                              f'{sorted(OPTIMIZERS)}, got {spec.get("type")!r}')
        extra = set(spec) - {'type', *OPTIMIZER_KEYS}
        if extra:
            raise RecipeError(f'recipe: optim.{name} has unsupported keys '
                              f'{sorted(extra)}')
    if int(recipe.batch_size) < 2:
        raise RecipeError('recipe: batch_size must be >= 2 (BatchNorm)')
    if not recipe.drop_last:
        raise RecipeError('recipe: drop_last must be true (as the configs)')
    if recipe.adversarial_epochs < 1 or recipe.distillation_epochs < 0:
        raise RecipeError(f'recipe: bad stages {recipe.stages}')
    if recipe.averaging is not None:
        if recipe.averaging.get('type') not in AVERAGING_TYPES:
            raise RecipeError('recipe: averaging.type must be one of '
                              f'{AVERAGING_TYPES}')
        if recipe.averaging.get('begin_epoch', 0) and \
                recipe.averaging.get('begin_iter', 0):
            raise RecipeError('recipe: averaging has both begin_epoch and '
                              'begin_iter (EMAHook refuses that too)')
    return recipe


def load_recipe(path) -> Recipe:
    with open(path) as f:
        try:
            data = json.load(f)
        except json.JSONDecodeError as error:
            raise RecipeError(f'{path}: not JSON ({error})') from error
    recipe = validate(data)
    recipe.source = str(path)
    return recipe


def _build(spec, table):
    spec = dict(spec)
    return table[spec.pop('type')](**spec)


class TIPSyNetworks(torch.nn.Module):
    """The networks of ``TIPSyGAN`` with its state_dict keys (``distilling``,
    ``lifter.*``, ``discriminator.*``, ``teacher.*``, ``student.*``), so
    that its checkpoints load into ``TIPSyGAN`` as they are."""

    def __init__(self, lifter, discriminator, teacher, student):
        super().__init__()
        self.lifter = lifter
        self.discriminator = discriminator
        self.teacher = teacher
        self.student = student
        self.register_buffer('distilling', torch.zeros((), dtype=torch.bool))


def build_networks(recipe: Recipe) -> TIPSyNetworks:
    """The networks in ``TIPSyGAN.__init__``'s order (lifter, D, teacher as a
    copy of the lifter, student), drawing from the global torch generator:
    seed it first (:func:`seed_everything`)."""
    model = recipe.model
    lifter = _build(model['lifter'], NETWORKS)
    discriminator = _build(model['discriminator'], NETWORKS)
    student = teacher = None
    if model.get('student') is not None:
        teacher = copy.deepcopy(lifter).requires_grad_(False)
        student = _build(model['student'], NETWORKS)
    return TIPSyNetworks(lifter, discriminator, teacher, student)


def build_adversarial_config(recipe: Recipe, parts,
                             network_dtype='recipe') -> AdversarialConfig:
    """``TIPSyGAN.config``; ``network_dtype`` replaces the recipe's unless it
    is 'recipe'. Checks that every part has an adversarial weight."""
    model = recipe.model
    adversarial = dict(model.get('adversarial') or {})
    if network_dtype != 'recipe':
        adversarial['network_dtype'] = network_dtype
    if model.get('terms'):
        table = terms_table()
        adversarial['terms'] = tuple(_build(t, table) for t in model['terms'])
    config = AdversarialConfig(
        projection=_build(model['projection'], PROJECTIONS),
        gan_loss=_build(model['gan_loss'], GAN_LOSSES),
        priors=tuple(_build(p, PRIORS) for p in model.get('priors') or []),
        **adversarial)
    for name in parts:
        config.adversarial_weight(name)
    return config


def build_optimizer(spec: dict, params, fused: bool = False):
    spec = dict(spec)
    cls = OPTIMIZERS[spec.pop('type')]
    if 'betas' in spec:
        spec['betas'] = tuple(spec['betas'])
    if fused:
        spec['fused'] = True
    return cls(params, **spec)


def seed_everything(seed: int) -> None:
    """mmengine's ``set_random_seed(seed)`` (deterministic=False,
    diff_rank_seed=False): Python's, NumPy's and torch's global generators
    (all CUDA devices too)."""
    import random

    import numpy as np
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def averaging_first_iter(averaging: Optional[dict], iters_per_epoch: int
                         ) -> Optional[int]:
    """The 0-based iteration at which EMAHook's averaging starts (None: no
    averaging). EMAHook starts when ``runner.epoch + 1 >= begin_epoch``
    (epochs given) or ``runner.iter + 1 >= begin_iter``."""
    if averaging is None:
        return None
    begin_epoch = int(averaging.get('begin_epoch', 0))
    if begin_epoch > 0:
        return (begin_epoch - 1) * iters_per_epoch
    return max(0, int(averaging.get('begin_iter', 0)) - 1)


def summary(recipe: Recipe) -> List[str]:
    model = recipe.model
    lines = [
        f'lifter {model["lifter"]}', f'discriminator {model["discriminator"]}',
        f'student {model.get("student")}', f'projection {model["projection"]}',
        f'gan_loss {model["gan_loss"]}', f'priors {model.get("priors")}',
        f'terms {model.get("terms")}',
        f'adversarial {model.get("adversarial")}',
        f'optim {recipe.optim}', f'batch {recipe.batch_size}, stages '
        f'{recipe.stages}, averaging {recipe.averaging}, seed {recipe.seed}, '
        f'step seed {recipe.step_seed}']
    return lines
