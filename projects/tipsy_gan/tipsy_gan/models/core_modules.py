"""``tipsy_gan.core``'s building blocks (``core.build.COMPONENTS``: lifters,
the discriminator, projections, GAN losses, priors, generator terms, the
sign chooser) in MMPose's ``MODELS`` registry, so that configs choose them
by name. Registering here keeps ``core`` free of mmengine."""
from mmpose.registry import MODELS

from ..core.build import COMPONENTS

for _module in COMPONENTS.values():
    MODELS.register_module(module=_module)
