"""mmengine hooks, the two-stage train loop, the optimiser-wrapper
constructor and the evaluation model wrapper; importing registers them."""
from .curve_hook import TIPSyCurveHook
from .distributed import TIPSyEvaluationWrapper
from .hooks import NonFiniteLossHook, TIPSyEMAHook, TIPSyRandomStateHook
from .loops import TIPSyTrainLoop
from .optim_constructor import TIPSyOptimWrapperConstructor

__all__ = [
    'TIPSyCurveHook', 'TIPSyEMAHook', 'TIPSyEvaluationWrapper',
    'NonFiniteLossHook', 'TIPSyRandomStateHook', 'TIPSyTrainLoop',
    'TIPSyOptimWrapperConstructor'
]
