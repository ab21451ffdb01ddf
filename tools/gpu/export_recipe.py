"""Export what a TIPSy config trains as the standalone trainer's JSON recipe.

    python tools/gpu/export_recipe.py configs/tipsy_h36m.py tools/gpu/recipes/tipsy_h36m.json
    python tools/gpu/export_recipe.py CONFIG OUT.json --cfg-options model.seed=1

CPU side (reads the config with mmengine). The recipe holds the config's
model dict (``core.build.build_tipsy`` builds it on both sides), the optimisers, the batch size, the
stage lengths, the ``EMAHook`` averaging, the seeds and the config text
(``tipsy_gan/standalone/recipe.py`` lists the fields). A config that uses
something the standalone trainer does not reproduce (another loop, sampler
or optimiser wrapper, gradient clipping, parameter schedulers, other custom
hooks, several EMAHooks, a random seed) is refused, naming it.
"""
import argparse
import json
import sys

from mmengine.config import Config, DictAction

from tipsy_gan.core.build import MODEL_KEYS
from tipsy_gan.standalone.recipe import (AVERAGING_TYPES, FORMAT,
                                         OPTIMIZER_KEYS, OPTIMIZERS, VERSION,
                                         validate)

# hooks that change nothing the standalone trainer computes on one device
HARMLESS_HOOKS = ('SyncBuffersHook', 'NonFiniteLossHook',
                  'TIPSyRandomStateHook', 'EmptyCacheHook')
AVERAGING_KEYS = ('ema_type', 'begin_epoch', 'begin_iter', 'begin_epochs',
                  'interval_epochs', 'interval',
                  'update_buffers', 'momentum', 'gamma', 'strict_load',
                  'type')


class RecipeExportError(ValueError):
    pass


def _plain(value):
    """ConfigDicts, tuples -> dicts, lists (JSON)."""
    if hasattr(value, 'to_dict'):
        value = value.to_dict()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _model(cfg):
    """The config's model dict as ``core.build.build_tipsy``'s arguments
    (the builder fills the defaults, as in ``TIPSyGAN``)."""
    model = _plain(cfg.model)
    if model.pop('type', None) != 'TIPSyGAN':
        raise RecipeExportError(f'model.type is {cfg.model.get("type")!r}, '
                                'not TIPSyGAN')
    if model.pop('data_preprocessor', None):
        raise RecipeExportError('model.data_preprocessor is not supported')
    for key in ('seed', 'validate_inputs', 'init_cfg'):
        model.pop(key, None)  # the step seed is the recipe's step_seed
    unknown = sorted(set(model) - set(MODEL_KEYS) - {'test_network'})
    if unknown:
        raise RecipeExportError(f'model: {unknown} not reproduced')
    dropouts = [(model.get(name) or {}).get('dropout', 0.0)
                for name in ('lifter', 'discriminator', 'student')]
    if any(dropouts):
        print('warning: dropout > 0 draws from the global torch generator, '
              "which mmengine's DataLoader also draws from: the standalone "
              'run is then not bit-identical to tools/train.py',
              file=sys.stderr)
    return model


def _optim(cfg, has_student):
    wrapper = _plain(cfg.optim_wrapper)
    if wrapper.get('constructor') != 'TIPSyOptimWrapperConstructor':
        raise RecipeExportError('optim_wrapper.constructor must be '
                                'TIPSyOptimWrapperConstructor')
    if wrapper.get('paramwise_cfg'):
        raise RecipeExportError('optim_wrapper.paramwise_cfg is not supported')
    names = ['generator', 'discriminator'] + (['student'] if has_student
                                              else [])
    out = {}
    for name in names:
        entry = wrapper.get(name)
        if entry is None:
            raise RecipeExportError(f'optim_wrapper has no {name!r}')
        extra = set(entry) - {'type', 'optimizer'}
        if entry.get('type', 'OptimWrapper') != 'OptimWrapper' or extra:
            raise RecipeExportError(
                f'optim_wrapper.{name}: only a plain OptimWrapper is '
                f'supported (got type {entry.get("type")!r}, {sorted(extra)})')
        optimizer = dict(entry['optimizer'])
        if optimizer.get('type') not in OPTIMIZERS:
            raise RecipeExportError(f'optim_wrapper.{name}.optimizer.type '
                                    f'must be one of {sorted(OPTIMIZERS)}')
        unknown = set(optimizer) - {'type', *OPTIMIZER_KEYS}
        if unknown:
            raise RecipeExportError(f'optim_wrapper.{name}.optimizer: '
                                    f'unsupported {sorted(unknown)}')
        out[name] = optimizer
    return out


def _loader(cfg):
    loader = _plain(cfg.train_dataloader)
    sampler = loader.get('sampler') or {}
    if sampler.get('type') != 'DefaultSampler' or not sampler.get(
            'shuffle', True) or set(sampler) - {'type', 'shuffle',
                                                'round_up'}:
        raise RecipeExportError(f'train sampler {sampler} is not '
                                "DefaultSampler(shuffle=True)")
    if loader.get('batch_sampler'):
        raise RecipeExportError('a batch_sampler is not supported')
    if not loader.get('drop_last', False):
        raise RecipeExportError('train_dataloader.drop_last must be True')
    collate = loader.get('collate_fn') or {}
    if collate.get('type') != 'default_collate':
        raise RecipeExportError('train collate_fn must be default_collate')
    dataset = loader['dataset']
    if dataset.get('type') != 'TIPSyPose2DDataset':
        raise RecipeExportError(f'train dataset {dataset.get("type")} is not '
                                'TIPSyPose2DDataset')
    data = dict(type=dataset['type'], ann_file=dataset.get('ann_file'),
                data_root=dataset.get('data_root'),
                indices=dataset.get('indices'), codec=dataset.get('codec'))
    return int(loader['batch_size']), data


def _averaging(cfg):
    hooks = _plain(cfg.get('custom_hooks') or [])
    averaging_hooks = ('EMAHook', 'TIPSyEMAHook')
    emas = [h for h in hooks if h.get('type') in averaging_hooks]
    others = [h['type'] for h in hooks
              if h.get('type') not in HARMLESS_HOOKS + averaging_hooks]
    if others:
        raise RecipeExportError(f'custom hooks {others} are not reproduced')
    if len(emas) > 1:
        raise RecipeExportError('more than one EMAHook')
    if not emas:
        return None
    hook = emas[0]
    unknown = set(hook) - set(AVERAGING_KEYS)
    if unknown:
        raise RecipeExportError(f'EMAHook: unsupported {sorted(unknown)}')
    kind = hook.get('ema_type', 'ExponentialMovingAverage')
    if kind not in AVERAGING_TYPES:
        raise RecipeExportError(f'EMAHook ema_type {kind!r} is not one of '
                                f'{AVERAGING_TYPES}')
    if hook['type'] == 'TIPSyEMAHook':  # in epochs: the trainer converts
        averaging = dict(type=kind, begin_epochs=float(hook['begin_epochs']),
                         interval=hook.get('interval'),
                         interval_epochs=hook.get('interval_epochs'),
                         update_buffers=bool(hook.get('update_buffers',
                                                      False)))
    else:
        averaging = dict(type=kind,
                         begin_epoch=int(hook.get('begin_epoch', 0)),
                         begin_iter=int(hook.get('begin_iter', 0)),
                         interval=int(hook.get('interval', 1)),
                         update_buffers=bool(hook.get('update_buffers',
                                                      False)))
    if kind != 'StochasticWeightAverage':
        averaging['momentum'] = float(hook.get('momentum', 0.0002))
    if kind == 'MomentumAnnealingEMA':
        averaging['gamma'] = int(hook.get('gamma', 100))
    return averaging


def export_recipe(cfg, config_file='') -> dict:
    train_cfg = _plain(cfg.get('train_cfg') or {})
    if train_cfg.get('type') != 'TIPSyTrainLoop':
        raise RecipeExportError('train_cfg.type must be TIPSyTrainLoop')
    extra = set(train_cfg) - {'type', 'adversarial_epochs',
                              'distillation_epochs', 'val_begin',
                              'val_interval'}
    if extra:
        raise RecipeExportError(f'train_cfg: unsupported {sorted(extra)}')
    if cfg.get('param_scheduler'):
        raise RecipeExportError('param_scheduler is not reproduced')
    randomness = _plain(cfg.get('randomness') or {})
    if randomness.get('seed') is None:
        raise RecipeExportError('randomness.seed must be set (mmengine '
                                'would draw a random one)')
    if randomness.get('diff_rank_seed'):
        raise RecipeExportError('randomness.diff_rank_seed is not supported')
    model = _model(cfg)
    batch_size, data = _loader(cfg)
    distillation = int(train_cfg.get('distillation_epochs', 0))
    if model.get('student') is None:
        distillation = 0
    recipe = dict(
        format=FORMAT, version=VERSION, config_file=str(config_file),
        config_text=cfg.pretty_text, seed=int(randomness['seed']),
        step_seed=int(_plain(cfg.model).get('seed', 0)), model=model,
        optim=_optim(cfg, model.get('student') is not None),
        batch_size=batch_size, drop_last=True,
        stages=dict(adversarial_epochs=int(train_cfg['adversarial_epochs']),
                    distillation_epochs=distillation),
        averaging=_averaging(cfg), data=data)
    validate(json.loads(json.dumps(recipe)))  # what the trainer will read
    return recipe


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('out')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    try:
        recipe = export_recipe(cfg, args.config)
    except RecipeExportError as error:
        raise SystemExit(f'cannot export {args.config}: {error}')
    with open(args.out, 'w') as f:
        json.dump(recipe, f, indent=1, sort_keys=False)
        f.write('\n')
    m = recipe['model']
    print(f'wrote {args.out}: lifter width {m["lifter"].get("width")}, '
          f'batch {recipe["batch_size"]}, stages {recipe["stages"]}, '
          f'averaging {recipe["averaging"]}')


if __name__ == '__main__':
    main()
