"""One optimiser wrapper per trained network, for GAN-style ``train_step``.

Config (Adam at 2e-4 is the paper's §3.6; it gives no betas, so PyTorch's
defaults (0.9, 0.999) are kept)::

    optim_wrapper = dict(
        constructor='TIPSyOptimWrapperConstructor',
        generator=dict(type='OptimWrapper',
                       optimizer=dict(type='Adam', lr=2e-4)),
        discriminator=dict(type='OptimWrapper',
                           optimizer=dict(type='Adam', lr=2e-4)),
        student=dict(type='OptimWrapper',
                     optimizer=dict(type='Adam', lr=2e-4)))

Each entry is built by mmengine's ``DefaultOptimWrapperConstructor`` over
its own submodule's parameters only, named by the model's
``optim_wrapper_modules`` (e.g. 'generator' -> ``model.lifter``). An entry
whose submodule is None (no student) is skipped; a trained submodule without
an entry is an error.
"""
from typing import Optional

from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict
from mmpose.registry import OPTIM_WRAPPER_CONSTRUCTORS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class TIPSyOptimWrapperConstructor:
    """Builds an ``OptimWrapperDict`` with disjoint parameter sets.

    Args:
        optim_wrapper_cfg (dict): name -> optimiser wrapper config.
        paramwise_cfg (dict, optional): name -> ``paramwise_cfg`` of that
            entry.
    """

    def __init__(self, optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[dict] = None):
        if not isinstance(optim_wrapper_cfg, dict):
            raise TypeError('optim_wrapper_cfg must be a dict of optimiser '
                            f'wrapper configs, got {type(optim_wrapper_cfg)}')
        for name, cfg in optim_wrapper_cfg.items():
            if not isinstance(cfg, dict) or 'optimizer' not in cfg:
                raise ValueError(
                    f'optim_wrapper.{name} must be a dict with an '
                    "'optimizer'; TIPSyOptimWrapperConstructor expects one "
                    'entry per network (generator, discriminator, student)')
        self.optim_wrapper_cfg = dict(optim_wrapper_cfg)
        self.paramwise_cfg = dict(paramwise_cfg or {})

    def __call__(self, model) -> OptimWrapperDict:
        module = model.module if is_model_wrapper(model) else model
        mapping = getattr(module, 'optim_wrapper_modules', None)
        if mapping is None:
            raise TypeError(f'{type(module).__name__} has no '
                            'optim_wrapper_modules (name -> submodule)')
        unknown = set(self.optim_wrapper_cfg) - set(mapping)
        if unknown:
            raise KeyError(f'optim_wrapper entries {sorted(unknown)} name no '
                           f'network of {type(module).__name__}; known: '
                           f'{sorted(mapping)}')
        wrappers, owners = {}, {}
        for name, attribute in mapping.items():
            submodule = getattr(module, attribute, None)
            if submodule is None:
                if name in self.optim_wrapper_cfg:
                    print_log(f'optim_wrapper.{name}: the model has no '
                              f'{attribute}; skipped', logger='current')
                continue
            if name not in self.optim_wrapper_cfg:
                raise KeyError(f'the model trains {attribute} but '
                               f'optim_wrapper has no {name!r} entry')
            for param in submodule.parameters():
                if id(param) in owners:
                    raise ValueError(f'a parameter of {attribute} is also '
                                     f'optimised by {owners[id(param)]}')
                owners[id(param)] = name
            constructor = DefaultOptimWrapperConstructor(
                dict(self.optim_wrapper_cfg[name]),
                self.paramwise_cfg.get(name))
            wrappers[name] = constructor(submodule)
        return OptimWrapperDict(**wrappers)
