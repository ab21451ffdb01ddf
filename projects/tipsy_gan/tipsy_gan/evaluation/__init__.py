"""MMPose metrics; importing this registers them in ``METRICS``."""
from .metrics import PCK3DMetric, TIPSyPoseErrorMetric

__all__ = ['PCK3DMetric', 'TIPSyPoseErrorMetric']
