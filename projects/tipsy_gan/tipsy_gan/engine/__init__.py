"""mmengine hooks, optimiser-wrapper constructor and the evaluation model
wrapper; importing registers them."""
from .distributed import TIPSyEvaluationWrapper
from .hooks import NonFiniteLossHook, TIPSyStageHook
from .optim_constructor import TIPSyOptimWrapperConstructor

__all__ = [
    'TIPSyEvaluationWrapper', 'NonFiniteLossHook', 'TIPSyStageHook', 'TIPSyOptimWrapperConstructor'
]
