"""TIPSy-GAN for MMPose.

``tipsy_gan.core`` is the algorithm in plain PyTorch and imports neither mmcv
nor mmpose. Importing ``tipsy_gan`` itself registers the MMPose glue (codecs,
metrics, models, hooks) in MMPose's registries, which is what a config's
``custom_imports = dict(imports=['tipsy_gan'])`` relies on.
"""
from .utils.checkpoint_compat import allow_mmengine_checkpoint_types

allow_mmengine_checkpoint_types()

from . import codecs, evaluation, models  # noqa: E402,F401  (registration)

__version__ = '0.1.0'
