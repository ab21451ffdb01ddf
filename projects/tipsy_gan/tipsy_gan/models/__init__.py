"""MMPose models; importing this registers them in ``MODELS``."""
from .reference_lifters import RigidOracleLifter, ZeroDepthLifter

__all__ = ['RigidOracleLifter', 'ZeroDepthLifter']
