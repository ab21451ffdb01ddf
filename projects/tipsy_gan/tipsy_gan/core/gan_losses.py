"""GAN losses for the adversarial stage: which objective D and G play.

Each loss maps D's raw outputs (logits, or scores for least squares) to the
discriminator's two terms and the generator's term, and says how to read an
output for the logs. The models build one from config (registered as
``BCEGANLoss`` and ``LeastSquaresGANLoss`` in MMPose's ``MODELS``):

- ``BCEGANLoss()``: the paper's eq. 5 with 5 % label flips (§3.6).
- ``BCEGANLoss(real_label=0.8, flip_prob=0.1)``: the paper's authors' code
  (one-sided label smoothing and 10 % flips).
- ``LeastSquaresGANLoss()``: LSGAN (Mao et al. 2017), a = 0, b = c = 1.

``rng`` (a ``torch.Generator`` or None) draws the label flips, real labels
first, then fake ones.
"""
import torch

from . import losses
from .losses import PAPER_LABEL_FLIP_PROB


class BCEGANLoss:
    """Eq. 5: D minimises BCE(D(Y), real) + BCE(D(Ỹ), 0); G minimises the
    non-saturating −E log D(Ỹ). Every label is flipped with ``flip_prob``."""

    def __init__(self, flip_prob=PAPER_LABEL_FLIP_PROB, real_label=1.0):
        self.flip_prob = float(flip_prob)
        self.real_label = float(real_label)

    def discriminator_terms(self, real_logits, fake_logits, rng=None):
        """(real term, fake term), each averaged over the batch."""
        return losses.discriminator_loss_terms(real_logits, fake_logits,
                                               self.flip_prob, rng,
                                               self.real_label)

    def generator_term(self, fake_logits):
        return losses.adversarial_generator_loss(fake_logits)

    def score(self, logits):
        """D's probability that a pose is real."""
        return torch.sigmoid(logits)

    def __repr__(self):
        return (f'BCEGANLoss(flip_prob={self.flip_prob}, '
                f'real_label={self.real_label})')


class LeastSquaresGANLoss:
    """LSGAN: D minimises ½E(D(Y) − 1)² + ½E D(Ỹ)², G minimises
    ½E(D(Ỹ) − 1)², on D's raw scores (no sigmoid). Labels may be flipped
    as for BCE (off by default)."""

    def __init__(self, flip_prob=0.0, real_label=1.0):
        self.flip_prob = float(flip_prob)
        self.real_label = float(real_label)

    def discriminator_terms(self, real_scores, fake_scores, rng=None):
        real_target, fake_target = losses.gan_labels(real_scores, fake_scores,
                                                     self.flip_prob, rng,
                                                     self.real_label)
        return (0.5 * (real_scores - real_target).square().mean(),
                0.5 * (fake_scores - fake_target).square().mean())

    def generator_term(self, fake_scores):
        return 0.5 * (fake_scores - self.real_label).square().mean()

    def score(self, scores):
        return scores

    def __repr__(self):
        return (f'LeastSquaresGANLoss(flip_prob={self.flip_prob}, '
                f'real_label={self.real_label})')
