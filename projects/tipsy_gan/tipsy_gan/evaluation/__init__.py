"""MMPose metrics; importing this registers them in ``METRICS``."""
from .metrics import (DepthMirroredShareMetric, PCK3DMetric,
                      TIPSyPoseErrorMetric)

__all__ = ['DepthMirroredShareMetric', 'PCK3DMetric', 'TIPSyPoseErrorMetric']
