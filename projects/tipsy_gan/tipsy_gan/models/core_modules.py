"""``tipsy_gan.core``'s building blocks in MMPose's ``MODELS`` registry, so
that configs choose them by name: lifters, the discriminator, projections,
GAN losses, priors and generator terms. Registering here keeps ``core`` free
of mmengine."""
from mmpose.registry import MODELS

from ..core.consistency_terms import AllAngleConsistency
from ..core.gan_losses import BCEGANLoss, LeastSquaresGANLoss
from ..core.geometry import Orthographic, Perspective
from ..core.networks import (PartSplitLifter, PoseDiscriminator,
                             ResidualLifter, SoloLifter)
from ..core.priors import (BoneProportionPrior, FacingPrior,
                           HipCollinearityPrior, KneeBendPrior,
                           NoseForwardPrior, HandsForwardPrior)
from ..core.sign_choice import PartSignChooser

for _module in (PartSplitLifter, SoloLifter, ResidualLifter,
                PoseDiscriminator, Orthographic, Perspective, BCEGANLoss,
                LeastSquaresGANLoss, KneeBendPrior, FacingPrior, BoneProportionPrior,
                NoseForwardPrior, HipCollinearityPrior, HandsForwardPrior,
                AllAngleConsistency, PartSignChooser):
    MODELS.register_module(module=_module)
