"""MMPose codecs; importing this registers them in ``KEYPOINT_CODECS``."""
from .tipsy_codec import TIPSyLiftingCodec

__all__ = ['TIPSyLiftingCodec']
