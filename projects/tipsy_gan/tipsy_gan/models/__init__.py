"""MMPose models; importing this registers them in ``MODELS``."""
from . import core_modules  # noqa: F401
from .pose_lifter_parts import (TIPSyLifterBackbone, TIPSyLiftingHead,
                                TIPSyResidualBackbone)
from .reference_lifters import RigidOracleLifter, ZeroDepthLifter
from .tipsy_gan_model import TIPSyGAN

__all__ = [
    'TIPSyGAN', 'TIPSyLifterBackbone', 'TIPSyLiftingHead',
    'TIPSyResidualBackbone', 'RigidOracleLifter', 'ZeroDepthLifter'
]
