"""mmengine hooks and optimiser-wrapper constructor; importing registers them."""
from .hooks import NonFiniteLossHook, TIPSyStageHook
from .optim_constructor import TIPSyOptimWrapperConstructor

__all__ = [
    'NonFiniteLossHook', 'TIPSyStageHook', 'TIPSyOptimWrapperConstructor'
]
