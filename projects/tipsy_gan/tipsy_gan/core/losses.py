"""The paper's losses, one function per equation (§3.2–3.6).

All functions take tensors and return tensors (no host synchronisation).
``parts`` maps a generator's name to the positions (in the 16 non-root joint
order) of the joints it predicts; a per-part loss averages over those joints
only, so each generator receives the error of its own keypoints (§3.2).
"""
import functools

import torch
import torch.nn.functional as F

from .geometry import uniform

# §3.6: w1 (leg adversarial), w4 (torso adversarial). The solo generator has
# no paper value; we use w1 + w4 = 0.13. The paper scales w1 and w4 by the
# share of the 16 joints each part predicts (6/16, 10/16); per joint both are
# ≈ 0.13 (0.05 / (6/16) = 0.133, 0.08 / (10/16) = 0.128), and with one
# generator that owns all 16 joints the same reasoning gives 0.13.
PAPER_ADVERSARIAL_WEIGHTS = {'legs': 0.05, 'torso': 0.08, 'pose': 0.13}
PAPER_REPROJECTION_WEIGHT = 10.0  # w2
PAPER_NINETY_WEIGHT = 3.0  # w3
PAPER_LABEL_FLIP_PROB = 0.05


@functools.lru_cache(maxsize=None)
def _index_tensor(positions, device):
    # Built once per (part, device): no host-to-device copy inside the step.
    return torch.tensor(positions, dtype=torch.long, device=device)


def select_positions(per_joint, positions):
    """``per_joint[:, positions]``; a view when the positions are contiguous."""
    positions = tuple(positions)
    start = positions[0]
    if positions == tuple(range(start, start + len(positions))):
        return per_joint[:, start:start + len(positions)]
    return per_joint.index_select(1, _index_tensor(positions,
                                                   per_joint.device))


def part_mean(per_joint, positions):
    """Mean over a part's joints and over the batch of a (B, 16) tensor."""
    return select_positions(per_joint, positions).mean()


def reprojection_consistency_loss(pose_2d, cycled_2d, parts):
    """L_T2D, L_L2D of §3.2 (the unnumbered equations after eq. 1).

    (1/t) ||Y_T − P R^-1 [(x̃_T, ỹ_T, z̃_T)]||_F^2 per part, averaged over the
    batch: squared 2D distance summed over x and y, averaged over the part's
    joints. ``cycled_2d`` is the input after lift → rotate by R → project →
    lift again → rotate by R^-1 → project, shape (B, 16, 2).
    Returns {part: loss}.
    """
    squared_distance = (pose_2d - cycled_2d).square().sum(-1)
    return {
        name: part_mean(squared_distance, positions)
        for name, positions in parts.items()
    }


def ninety_clockwise_term(depth_from_clockwise_view, pose_3d, positions):
    """Eq. 2: (1/t) [G(ẑ, y) + x]^2.

    Turning the pose 90° clockwise, (x, y, z) → (z, y, −x), puts the predicted
    depth on the image x axis; the generator's depth for that view must be −x.
    """
    x = pose_3d[..., 0]
    return part_mean((depth_from_clockwise_view + x).square(), positions)


def ninety_anticlockwise_term(depth_from_anticlockwise_view, pose_3d,
                              positions):
    """Eq. 3: (1/t) [G(−ẑ, y) − x]^2 (the turn (x, y, z) → (−z, y, x))."""
    x = pose_3d[..., 0]
    return part_mean((depth_from_anticlockwise_view - x).square(), positions)


def ninety_half_turn_term(depth_from_half_turn_view, pose_3d, positions):
    """Eq. 4: (1/t) [G(x, y) + G(−x, y)]^2 (the turn (x, y, z) → (−x, y, −z)).

    ``pose_3d[..., 2]`` is G(x, y), the prediction for the unrotated input.
    """
    depth = pose_3d[..., 2]
    return part_mean((depth + depth_from_half_turn_view).square(), positions)


def ninety_degree_consistency_loss(pose_3d, depth_from_clockwise_view,
                                   depth_from_anticlockwise_view,
                                   depth_from_half_turn_view, parts):
    """L_T90°, L_L90° of §3.3: the sum of eqs. 2–4 for each part.

    ``pose_3d`` (B, 16, 3) is the lifted prediction (x, y, ẑ); the three depth
    tensors (B, 16) are the lifter's outputs for the projections of its three
    turned copies. Each part's generator sees only its own joints of those
    views (the lifter splits them), so e.g. the torso term is G_T(ẑ_T, y_T)
    against −x_T. Under orthographic projection the inputs are exactly
    (ẑ, y), (−ẑ, y) and (−x, y). Returns {part: loss}.
    """
    return {
        name:
        (ninety_clockwise_term(depth_from_clockwise_view, pose_3d, positions) +
         ninety_anticlockwise_term(depth_from_anticlockwise_view, pose_3d,
                                   positions) +
         ninety_half_turn_term(depth_from_half_turn_view, pose_3d, positions))
        for name, positions in parts.items()
    }


def flip_labels(labels, flip_prob, rng=None):
    """Replace each 0/1 label by its opposite with probability ``flip_prob``
    (label flipping, §3.6)."""
    if flip_prob <= 0:
        return labels
    flip = uniform(labels.shape, 0.0, 1.0, rng, labels.device,
                   labels.dtype) < flip_prob
    return torch.where(flip, 1.0 - labels, labels)


def gan_labels(real_logits,
               fake_logits,
               flip_prob=PAPER_LABEL_FLIP_PROB,
               rng=None,
               real_label=1.0):
    """D's targets for a real and a fake batch: ``real_label`` and 0, each
    flipped to its complement (1 − label) with probability ``flip_prob``
    (label flipping, §3.6); real labels are drawn first."""
    real = torch.full_like(real_logits, real_label)
    return (flip_labels(real, flip_prob, rng),
            flip_labels(torch.zeros_like(fake_logits), flip_prob, rng))


def discriminator_loss_terms(real_logits,
                             fake_logits,
                             flip_prob=PAPER_LABEL_FLIP_PROB,
                             rng=None,
                             real_label=1.0):
    """Eq. 5 for D: maximise E log D(Y) + E log(1 − D(Ỹ)).

    Returns its two halves, (BCE(D(Y), 1), BCE(D(Ỹ), 0)), each averaged over
    the batch, with every label flipped with probability ``flip_prob``
    (§3.6). Their floor with 5 % flips is 2 H(0.05) ≈ 0.40 nats, not 0.
    ``real_label`` < 1 is one-sided label smoothing (the authors' code).
    """
    real_labels, fake_labels = gan_labels(real_logits, fake_logits, flip_prob,
                                          rng, real_label)
    return (F.binary_cross_entropy_with_logits(real_logits, real_labels),
            F.binary_cross_entropy_with_logits(fake_logits, fake_labels))


def adversarial_generator_loss(fake_logits):
    """Eq. 5 for G, non-saturating form: minimise −E log D(Ỹ).

    Same fixed point as minimising E log(1 − D(Ỹ)), but with useful gradients
    while D rejects the fakes confidently.
    """
    return F.softplus(-fake_logits).mean()


def generator_part_loss(adversarial,
                        reprojection,
                        ninety,
                        w_adversarial,
                        w_reprojection=PAPER_REPROJECTION_WEIGHT,
                        w_ninety=PAPER_NINETY_WEIGHT):
    """Eqs. 7–8: a part generator's total loss.

    L_L = w1 L_adv + w2 L_L2D + w3 L_L90° (legs, w1 = 0.05);
    L_T = w4 L_adv + w2 L_T2D + w3 L_T90° (torso, w4 = 0.08).
    """
    return (w_adversarial * adversarial + w_reprojection * reprojection +
            w_ninety * ninety)


def distillation_loss(student_depth, teacher_depth):
    """Eqs. 6 and 9: L_TIPSy = (1/N) ||G_TIPSy(x, y) − ẑ||^2, batch-averaged.

    ``teacher_depth`` is ẑ, the leg and torso generators' predictions put
    together in the 16-joint order; N = 16.
    """
    return (student_depth - teacher_depth).square().mean()
