"""The standalone recipe: what an mmengine TIPSy config trains, as JSON.

``tools/gpu/export_recipe.py CONFIG OUT.json`` writes it on the CPU side (it
reads the config with mmengine and refuses what this trainer does not
reproduce); :func:`load_recipe` reads it here, without mmengine, and
:func:`build_networks` builds its pieces with ``core.build.build_tipsy``,
the builder ``TIPSyGAN`` calls (there through MMPose's registry).

Version 1 fields::

    format, version          'tipsy-standalone-recipe', 1
    config_file, config_text the config and its text (mmengine's pretty_text,
                             which checkpoints carry as meta['cfg'])
    seed                     randomness.seed: model init and data order
    step_seed                model.seed: the step's rotations and label flips
    model                    the config's model dict, as build_tipsy's
                             arguments (core.build.MODEL_KEYS) plus
                             test_network; build_tipsy fills the defaults
    optim                    generator/discriminator/student: {type: 'Adam'
                             or 'AdamW', lr, and any of betas, eps,
                             weight_decay, amsgrad}
    batch_size, drop_last    the train loader (shuffled by DefaultSampler)
    stages                   adversarial_epochs, distillation_epochs
    averaging                null or EMAHook's: type, begin_epoch,
                             begin_iter, interval, update_buffers, momentum,
                             gamma; or TIPSyEMAHook's begin_epochs and
                             interval or interval_epochs instead of the
                             begin_* and interval (resolve_averaging)
    data                     the train dataset's ann_file, data_root,
                             indices (for the record)
"""
import copy
import dataclasses
import json
from typing import Dict, List, Optional

import torch

from ..core.build import MODEL_KEYS, TIPSyPieces, build_tipsy
from ..utils.epochs import averaging_iters

FORMAT = 'tipsy-standalone-recipe'
VERSION = 1

OPTIMIZERS = {'Adam': torch.optim.Adam, 'AdamW': torch.optim.AdamW}
OPTIMIZER_KEYS = ('lr', 'betas', 'eps', 'weight_decay', 'amsgrad', 'fused')

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
    _require(model, 'lifter', 'model')
    unknown = sorted(set(model) - set(MODEL_KEYS) - {'test_network'})
    if unknown:
        raise RecipeError(f'recipe: model has {unknown}, which TIPSyGAN '
                          f'does not take ({", ".join(MODEL_KEYS)})')
    try:  # the builder's own checks (types, weights, options)
        pieces = build_pieces(recipe)
    except (TypeError, ValueError) as error:
        raise RecipeError(f'recipe: model: {error}') from error
    if pieces.distillation.cache_targets:
        raise RecipeError('recipe: model.distillation.cache_targets is not '
                          'reproduced by this trainer')
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


def build_pieces(recipe: Recipe, network_dtype='recipe') -> TIPSyPieces:
    """``core.build.build_tipsy`` on the recipe's model (drawing from the
    global torch generator: seed it first, :func:`seed_everything`);
    ``network_dtype`` replaces the recipe's unless it is 'recipe'."""
    model = {k: copy.deepcopy(v) for k, v in recipe.model.items()
             if k in MODEL_KEYS}
    if network_dtype != 'recipe':
        model['adversarial'] = dict(model.get('adversarial') or {},
                                    network_dtype=network_dtype)
    return build_tipsy(**model)


def build_networks(pieces: TIPSyPieces) -> TIPSyNetworks:
    """The pieces' networks under ``TIPSyGAN``'s state_dict keys."""
    return TIPSyNetworks(pieces.lifter, pieces.discriminator, pieces.teacher,
                         pieces.student)


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


def resolve_averaging(averaging: Optional[dict], iters_per_epoch: int
                      ) -> Optional[dict]:
    """``averaging`` in EMAHook's iteration terms: a ``TIPSyEMAHook``'s
    (``begin_epochs``, ``interval`` or ``interval_epochs``) converted as it
    converts them (``utils.epochs.averaging_iters``); others unchanged."""
    if averaging is None or 'begin_epochs' not in averaging:
        return averaging
    out = {k: v for k, v in averaging.items()
           if k not in ('begin_epochs', 'interval_epochs')}
    out['begin_iter'], out['interval'] = averaging_iters(
        averaging['begin_epochs'], iters_per_epoch,
        averaging.get('interval'), averaging.get('interval_epochs'))
    out['begin_epoch'] = 0
    return out


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
    """The recipe, one line per model piece given (build_tipsy's defaults
    for the rest), then the optimisers and the run."""
    lines = [f'{key} {value}' for key, value in recipe.model.items()]
    lines += [
        f'optim {recipe.optim}', f'batch {recipe.batch_size}, stages '
        f'{recipe.stages}, averaging {recipe.averaging}, seed {recipe.seed}, '
        f'step seed {recipe.step_seed}']
    return lines
