"""Label-free training signals: what a run can watch without any 3D label.

Candidates for §4.3's open question (when to stop an adversarial run that
has no validation labels). Each is computed from 2D alone:

* the self-consistency losses of the paper (reprojection after a random
  rotation, §3.2; the 90° terms, eqs. 2–4) measured on 2D the generators
  never trained on (the validation subject's 2D is label-free);
* the discriminator's view of that 2D: its mean score on the real poses and
  on their rotated re-projections, and its accuracy (how clearly it wins);
* the mean predicted |depth| (collapse inflates it);
* anatomical consistency of the lifted 3D: left/right bone-length asymmetry
  and the spread over poses of each bone's share of the skeleton's length.

Caveat for the bone signals: the converted Human3.6M data has one skeleton
for every subject (the exp-map release is rendered on one body), so a
perfect lifter has zero asymmetry and zero spread here; on real data with
varied people they would not reach zero.

``heldout_signals`` runs in eval mode (BN running statistics, no dropout)
under ``torch.no_grad`` with its own generator, so it never changes the
training's state or random stream.
"""
from typing import Dict

import torch

from ..core import losses
from ..core.adversarial_step import lift_views
from ..core.gan_losses import BCEGANLoss
from ..core.networks import eval_mode, run_network
from ..core.skeleton import bone_lengths

# (left bone, right bone) as indices into BONES.
SYMMETRIC_BONE_PAIRS = ((3, 0), (4, 1), (5, 2), (10, 13), (11, 14), (12, 15))


def bone_asymmetry(pose_3d: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Mean |l_left − l_right| / mean(l_left, l_right) over the six
    symmetric bone pairs (legs, arms) and the poses."""
    lengths = bone_lengths(pose_3d)
    left = lengths[:, [a for a, _ in SYMMETRIC_BONE_PAIRS]]
    right = lengths[:, [b for _, b in SYMMETRIC_BONE_PAIRS]]
    return ((left - right).abs() / ((left + right) / 2 + eps)).mean()


def bone_ratio_spread(pose_3d: torch.Tensor, eps: float = 1e-8
                      ) -> torch.Tensor:
    """Coefficient of variation over poses of each bone's share of the
    skeleton's total length, averaged over bones (0: every pose has the
    same proportions)."""
    lengths = bone_lengths(pose_3d)
    share = lengths / (lengths.sum(1, keepdim=True) + eps)
    return (share.std(0) / (share.mean(0) + eps)).mean()


@torch.no_grad()
def heldout_signals(lifter, discriminator, pose_2d: torch.Tensor, config,
                    seed: int = 0) -> Dict[str, float]:
    """Label-free signals of ``lifter`` (and ``discriminator``) on 2D poses
    they never trained on, ``pose_2d`` (N, 16, 2) normalised.

    The random rotations come from a generator seeded with ``seed``, so two
    calls on the same networks agree and the training stream is untouched.
    Returns floats: 'reprojection', 'ninety' (the paper's losses over all
    16 joints), 'depth_abs', 'd_real_score', 'd_fake_score', 'd_accuracy'
    (mean of real > 0.5 and fake < 0.5 under D's score), 'bone_asymmetry',
    'bone_ratio_spread'.
    """
    rng = torch.Generator(device=pose_2d.device)
    rng.manual_seed(seed)
    everything = {'all': tuple(range(pose_2d.shape[1]))}
    with eval_mode(lifter), eval_mode(discriminator):
        views = lift_views(lifter, pose_2d, config, rng)
        gan_loss = getattr(config, 'gan_loss', None) or BCEGANLoss()
        real = gan_loss.score(run_network(discriminator, pose_2d,
                                          config.network_dtype))
        fake = gan_loss.score(run_network(discriminator, views.fake_2d,
                                          config.network_dtype))
    reprojection = losses.reprojection_consistency_loss(
        views.per_rotation(views.pose_2d), views.cycled_2d,
        everything)['all']
    ninety = losses.ninety_degree_consistency_loss(
        views.pose_3d, views.depth_from_clockwise_view,
        views.depth_from_anticlockwise_view, views.depth_from_half_turn_view,
        everything)['all']
    accuracy = ((real > 0.5).float().mean() +
                (fake < 0.5).float().mean()) / 2
    return {
        'reprojection': float(reprojection),
        'ninety': float(ninety),
        'depth_abs': float(views.depth.abs().mean()),
        'd_real_score': float(real.mean()),
        'd_fake_score': float(fake.mean()),
        'd_accuracy': float(accuracy),
        'bone_asymmetry': float(bone_asymmetry(views.pose_3d)),
        'bone_ratio_spread': float(bone_ratio_spread(views.pose_3d)),
    }
