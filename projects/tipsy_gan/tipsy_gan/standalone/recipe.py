"""What a TIPSy config trains, read from the config file itself for the
torch-only trainer.

:func:`load_recipe` reads the same config file as ``tools/train.py``, with
mmengine's ``Config`` (mmengine is pure Python: the torch-only machine is
given its wheel, not mmcv's or MMPose's compiled stack), and keeps what this
trainer reproduces; a config that uses anything else (another loop, sampler
or optimiser wrapper, gradient clipping, other custom hooks, several
EMAHooks, validation metrics on the curve, a random seed) is refused,
naming it (:class:`RecipeError`). :func:`build_networks` builds the model
with ``core.build.build_tipsy``, the builder ``TIPSyGAN`` calls (there
through MMPose's registry).

A :class:`Recipe` holds:

    config_file, config_text the config and its text (mmengine's pretty_text,
                             which checkpoints carry as meta['cfg'])
    seed                     randomness.seed: model init and data order
    step_seed                model.seed: the step's rotations and label flips
    model                    the config's model dict, as build_tipsy's
                             arguments (core.build.MODEL_KEYS) plus
                             test_network; build_tipsy fills the defaults
    optim                    generator/discriminator/student: {type: 'Adam'
                             or 'AdamW', lr, and any of betas, eps,
                             weight_decay, amsgrad, fused}
    schedules                param_scheduler: {optimiser name: [scheduler
                             dicts]}, built with mmengine's own classes
    batch_size               the train loader's (DefaultSampler, shuffled,
                             drop_last)
    stages                   adversarial_epochs, distillation_epochs
    averaging                null or the EMAHook / TIPSyEMAHook dict
    curve                    null or the TIPSyCurveHook dict (the label-free
                             stopping rule's curve and pick)
    data                     the train dataset's ann_file, data_root,
                             indices (for the record)
"""
import copy
import dataclasses
from typing import Dict, List, Optional

import torch

from ..core.build import MODEL_KEYS, TIPSyPieces, build_tipsy
from ..utils.epochs import averaging_iters

OPTIMIZERS = {'Adam': torch.optim.Adam, 'AdamW': torch.optim.AdamW}
OPTIMIZER_KEYS = ('lr', 'betas', 'eps', 'weight_decay', 'amsgrad', 'fused')
AVERAGING_TYPES = ('ExponentialMovingAverage', 'StochasticWeightAverage',
                   'MomentumAnnealingEMA')
AVERAGING_HOOKS = ('EMAHook', 'TIPSyEMAHook')
AVERAGING_KEYS = ('type', 'ema_type', 'begin_epoch', 'begin_iter',
                  'begin_epochs', 'interval', 'interval_epochs',
                  'update_buffers', 'momentum', 'gamma', 'strict_load')
CURVE_KEYS = ('type', 'interval', 'interval_epochs', 'split', 'stride',
              'signal_poses', 'snapshots', 'select', 'metrics')
# hooks that change nothing this trainer computes on one device
HARMLESS_HOOKS = ('SyncBuffersHook', 'NonFiniteLossHook',
                  'TIPSyRandomStateHook', 'EmptyCacheHook')
SCHEDULERS = ('ConstantLR', 'CosineAnnealingLR', 'LinearLR', 'MultiStepLR',
              'StepLR', 'ExponentialLR', 'PolyLR')


class RecipeError(ValueError):
    """A config this trainer cannot train exactly."""


@dataclasses.dataclass
class Recipe:
    config_file: str
    config_text: str
    seed: int
    step_seed: int
    model: dict
    optim: Dict[str, dict]
    schedules: Optional[Dict[str, List[dict]]]
    batch_size: int
    stages: Dict[str, int]
    averaging: Optional[dict]
    curve: Optional[dict]
    data: dict

    @property
    def adversarial_epochs(self) -> int:
        return int(self.stages['adversarial_epochs'])

    @property
    def distillation_epochs(self) -> int:
        return int(self.stages['distillation_epochs'])

    def with_width(self, width: int) -> 'Recipe':
        """The same recipe with every network at ``width`` (dry runs)."""
        recipe = copy.deepcopy(self)
        for name in ('lifter', 'discriminator', 'student'):
            if recipe.model.get(name) is not None:
                recipe.model[name]['width'] = int(width)
        return recipe


def _plain(value):
    """ConfigDicts, tuples -> dicts, lists."""
    if hasattr(value, 'to_dict'):
        value = value.to_dict()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _model(cfg):
    """The config's model dict as ``build_tipsy``'s arguments, checked by
    the builder itself."""
    model = _plain(cfg.model)
    if model.pop('type', None) != 'TIPSyGAN':
        raise RecipeError(f'model.type is {cfg.model.get("type")!r}, not '
                          'TIPSyGAN')
    if model.pop('data_preprocessor', None):
        raise RecipeError('model.data_preprocessor is not reproduced')
    for key in ('seed', 'validate_inputs', 'init_cfg'):
        model.pop(key, None)  # the step seed is the recipe's step_seed
    unknown = sorted(set(model) - set(MODEL_KEYS) - {'test_network'})
    if unknown:
        raise RecipeError(f'model: {unknown}, which TIPSyGAN does not take')
    if any((model.get(name) or {}).get('dropout', 0.0)
           for name in ('lifter', 'discriminator', 'student')):
        raise RecipeError("dropout draws from the global generator, which "
                          "mmengine's DataLoader also draws from: not "
                          'reproduced')
    try:  # the builder's own checks (types, weights, options)
        pieces = build_tipsy(**{k: copy.deepcopy(v) for k, v in model.items()
                                if k in MODEL_KEYS})
    except (TypeError, ValueError) as error:
        raise RecipeError(f'model: {error}') from error
    if pieces.distillation.cache_targets:
        raise RecipeError('model.distillation.cache_targets is not '
                          'reproduced')
    return model


def _optim(cfg, has_student):
    wrapper = _plain(cfg.optim_wrapper)
    if wrapper.get('constructor') != 'TIPSyOptimWrapperConstructor':
        raise RecipeError('optim_wrapper.constructor must be '
                          'TIPSyOptimWrapperConstructor')
    if wrapper.get('paramwise_cfg'):
        raise RecipeError('optim_wrapper.paramwise_cfg is not reproduced')
    out = {}
    for name in ['generator', 'discriminator'] + (['student'] if has_student
                                                  else []):
        entry = wrapper.get(name)
        if entry is None:
            raise RecipeError(f'optim_wrapper has no {name!r}')
        extra = set(entry) - {'type', 'optimizer'}
        if entry.get('type', 'OptimWrapper') != 'OptimWrapper' or extra:
            raise RecipeError(
                f'optim_wrapper.{name}: only a plain OptimWrapper is '
                f'reproduced (got type {entry.get("type")!r}, '
                f'{sorted(extra)})')
        optimizer = dict(entry['optimizer'])
        if optimizer.get('type') not in OPTIMIZERS:
            raise RecipeError(f'optim_wrapper.{name}.optimizer.type must be '
                              f'one of {sorted(OPTIMIZERS)}')
        unknown = set(optimizer) - {'type', *OPTIMIZER_KEYS}
        if unknown:
            raise RecipeError(f'optim_wrapper.{name}.optimizer: '
                              f'{sorted(unknown)} not reproduced')
        out[name] = optimizer
    return out


def _schedules(cfg, names):
    schedules = _plain(cfg.get('param_scheduler'))
    if not schedules:
        return None
    known = ('generator', 'discriminator', 'student')
    if not isinstance(schedules, dict) or set(schedules) - set(known):
        raise RecipeError(f'param_scheduler must be a dict over {known}')
    out = {}
    for name, entries in schedules.items():
        if name not in names:
            continue  # no such optimiser (no student): mmengine skips it
        entries = entries if isinstance(entries, list) else [entries]
        for entry in entries:
            if entry.get('type') not in SCHEDULERS:
                raise RecipeError(f'param_scheduler.{name}: '
                                  f'{entry.get("type")!r} is not one of '
                                  f'{SCHEDULERS}')
        out[name] = entries
    return out


def _loader(cfg):
    loader = _plain(cfg.train_dataloader)
    sampler = loader.get('sampler') or {}
    if sampler.get('type') != 'DefaultSampler' or not sampler.get(
            'shuffle', True) or set(sampler) - {'type', 'shuffle',
                                                'round_up'}:
        raise RecipeError(f'train sampler {sampler} is not '
                          'DefaultSampler(shuffle=True)')
    if loader.get('batch_sampler'):
        raise RecipeError('a batch_sampler is not reproduced')
    if not loader.get('drop_last', False):
        raise RecipeError('train_dataloader.drop_last must be True')
    if (loader.get('collate_fn') or {}).get('type') != 'default_collate':
        raise RecipeError('train collate_fn must be default_collate')
    dataset = loader['dataset']
    if dataset.get('type') != 'TIPSyPose2DDataset':
        raise RecipeError(f'train dataset {dataset.get("type")} is not '
                          'TIPSyPose2DDataset')
    batch_size = int(loader['batch_size'])
    if batch_size < 2:
        raise RecipeError('batch_size must be >= 2 (BatchNorm)')
    data = dict(ann_file=dataset.get('ann_file'),
                data_root=dataset.get('data_root'),
                indices=dataset.get('indices'))
    return batch_size, data


def _hooks(cfg):
    """(averaging, curve): the averaging hook and the curve hook, or None."""
    hooks = _plain(cfg.get('custom_hooks') or [])
    kinds = HARMLESS_HOOKS + AVERAGING_HOOKS + ('TIPSyCurveHook', )
    others = [h['type'] for h in hooks if h.get('type') not in kinds]
    if others:
        raise RecipeError(f'custom hooks {others} are not reproduced')
    emas = [h for h in hooks if h['type'] in AVERAGING_HOOKS]
    curves = [h for h in hooks if h['type'] == 'TIPSyCurveHook']
    if len(emas) > 1 or len(curves) > 1:
        raise RecipeError('more than one EMAHook or TIPSyCurveHook')
    averaging = emas[0] if emas else None
    curve = curves[0] if curves else None
    if averaging is not None:
        unknown = set(averaging) - set(AVERAGING_KEYS)
        if unknown:
            raise RecipeError(f'{averaging["type"]}: {sorted(unknown)} not '
                              'reproduced')
        kind = averaging.setdefault('ema_type', 'ExponentialMovingAverage')
        if kind not in AVERAGING_TYPES:
            raise RecipeError(f'{averaging["type"]}: ema_type {kind!r} is '
                              f'not one of {AVERAGING_TYPES}')
        if averaging.get('begin_epoch', 0) and averaging.get('begin_iter', 0):
            raise RecipeError('EMAHook has both begin_epoch and begin_iter')
    if curve is not None:
        unknown = set(curve) - set(CURVE_KEYS)
        if unknown:
            raise RecipeError(f'TIPSyCurveHook: {sorted(unknown)} not '
                              'reproduced')
        if curve.get('metrics', True):
            raise RecipeError('TIPSyCurveHook(metrics=True) scores the '
                              "validation labels with MMPose's metrics, "
                              'which this trainer does not have (the '
                              'stopping rules read none of them): set '
                              'metrics=False')
        if curve.get('select') is not None and averaging is not None:
            raise RecipeError('both an EMAHook and TIPSyCurveHook(select=...)'
                              ' pick the teacher')
    return averaging, curve


def recipe_from_config(cfg, config_file='') -> Recipe:
    """The :class:`Recipe` of an mmengine ``Config``, or a named
    :class:`RecipeError`."""
    train_cfg = _plain(cfg.get('train_cfg') or {})
    if train_cfg.get('type') != 'TIPSyTrainLoop':
        raise RecipeError('train_cfg.type must be TIPSyTrainLoop')
    extra = set(train_cfg) - {'type', 'adversarial_epochs',
                              'distillation_epochs', 'val_begin',
                              'val_interval'}
    if extra:
        raise RecipeError(f'train_cfg: {sorted(extra)} not reproduced')
    randomness = _plain(cfg.get('randomness') or {})
    if randomness.get('seed') is None:
        raise RecipeError('randomness.seed must be set (mmengine would draw '
                          'a random one)')
    if randomness.get('diff_rank_seed'):
        raise RecipeError('randomness.diff_rank_seed is not reproduced')
    model = _model(cfg)
    has_student = model.get('student') is not None
    optim = _optim(cfg, has_student)
    batch_size, data = _loader(cfg)
    averaging, curve = _hooks(cfg)
    adversarial = train_cfg.get('adversarial_epochs', 0)
    if int(adversarial) != adversarial or adversarial < 1:
        raise RecipeError('train_cfg.adversarial_epochs must be an integer '
                          f'>= 1, got {adversarial!r}')
    distillation = int(train_cfg.get('distillation_epochs', 0))
    return Recipe(
        config_file=str(config_file), config_text=cfg.pretty_text,
        seed=int(randomness['seed']),
        step_seed=int(_plain(cfg.model).get('seed', 0)), model=model,
        optim=optim, schedules=_schedules(cfg, list(optim)),
        batch_size=batch_size,
        stages=dict(adversarial_epochs=int(adversarial),
                    distillation_epochs=distillation if has_student else 0),
        averaging=averaging, curve=curve, data=data)


def load_recipe(config_file, cfg_options: Optional[dict] = None) -> Recipe:
    """The recipe of a config file (``tools/train.py``'s), with
    ``--cfg-options`` merged as ``tools/train.py`` merges them."""
    from mmengine.config import Config
    # custom_imports names tipsy_gan.mmpose_modules: MMPose, not needed here
    cfg = Config.fromfile(config_file, import_custom_modules=False)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return recipe_from_config(cfg, config_file)


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


def resolve_averaging(hook: Optional[dict], iters_per_epoch: int
                      ) -> Optional[dict]:
    """The averaging hook's dict in ``LifterAverage``'s and EMAHook's
    iteration terms (``type`` the ema_type, ``begin_epoch``,
    ``begin_iter``, ``interval``, ...): a ``TIPSyEMAHook``'s epochs
    converted as it converts them (``utils.epochs.averaging_iters``)."""
    if hook is None:
        return None
    out = dict(type=hook.get('ema_type', 'ExponentialMovingAverage'),
               update_buffers=bool(hook.get('update_buffers', False)),
               momentum=float(hook.get('momentum', 0.0002)),
               gamma=int(hook.get('gamma', 100)))
    if hook['type'] == 'TIPSyEMAHook':
        out['begin_iter'], out['interval'] = averaging_iters(
            hook['begin_epochs'], iters_per_epoch, hook.get('interval'),
            hook.get('interval_epochs'))
        out['begin_epoch'] = 0
    else:
        out.update(begin_epoch=int(hook.get('begin_epoch', 0)),
                   begin_iter=int(hook.get('begin_iter', 0)),
                   interval=int(hook.get('interval', 1)))
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
        f'{recipe.stages}, averaging {recipe.averaging}, schedules '
        f'{recipe.schedules}, curve {recipe.curve}, seed {recipe.seed}, '
        f'step seed {recipe.step_seed}']
    return lines
