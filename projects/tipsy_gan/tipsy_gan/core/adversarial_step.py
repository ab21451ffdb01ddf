"""One adversarial training iteration of §3 (fig. 1), in plain PyTorch.

The iteration is split so that an mmengine model and a plain-torch loop can
share it:

    views = lift_views(lifter, pose_2d, config, rng)           # G forward
    d = discriminator_losses(discriminator, pose_2d, views.fake_2d, config, rng)
    ...step D on d['loss']...
    g = generator_losses(lifter, discriminator, views, config)
    ...step G on g['loss']...

``rng`` is a ``torch.Generator`` (or None for the global one) that draws the
rotations and the label flips. ``train_one_step`` does exactly this with two
optimisers. Every function
returns tensors (no ``.item()``), so nothing waits for the device.

Loss dictionaries hold the total under 'loss' and the components under names
without the substring 'loss' (mmengine's ``parse_losses`` sums every key that
contains it, which would count the components twice).

Design choices (see ``AdversarialConfig``):

* Adversarial weights per generator (eqs. 7–8). The part generators share one
  adversarial loss with different weights. Their parameters are disjoint and
  each drives only its own joints' depths, so one backward of
  Σ_p L_p is exact if the adversarial term's gradient reaching part p's depths
  is scaled by w_p / Σ_q w_q while its value is multiplied by Σ_q w_q; the
  leg net then gets w1 ∂L_adv/∂θ_L and the torso net w4 ∂L_adv/∂θ_T.
* Batched views. The re-lift of the rotated view and the three 90° views all
  depend only on the first prediction, so with ``batch_views`` they go through
  the lifter as one batch of 4B. In train mode BatchNorm then normalises them
  with the statistics of that mixture of views rather than of each view alone
  (four separate passes, ``batch_views=False``). The mixture is closer to
  the all-azimuth distribution the lifter must handle, and it is one kernel
  launch per layer instead of four.
* BN running statistics. By default only the pass on the real 2D updates the
  running statistics (``view_bn_stats=False``); the synthetic views and the
  discriminator's pass in the generator step use batch statistics but leave
  the buffers alone. At test time the lifter sees real 2D only, and with
  updates from every pass the buffers would follow whichever view ran last.
"""
import dataclasses
from typing import Dict, Mapping, Optional

import torch

from . import depth_flip, losses
from .geometry import (MAX_AZIMUTH, MAX_ELEVATION, invert_rotation, lift,
                       max_abs_scale, project, random_rotation, rotate,
                       rotate_quarter_turns_about_y)
from .networks import frozen, no_bn_stat_updates

# Quarter turns about y of the three 90° constraints, in the order of eqs. 2–4.
NINETY_DEGREE_TURNS = (1, 3, 2)


@dataclasses.dataclass
class AdversarialConfig:
    """Weights and options of the adversarial stage; defaults: the paper."""

    # w1 / w4 (eqs. 7–8) keyed by part name; None → PAPER_ADVERSARIAL_WEIGHTS
    # (legs 0.05, torso 0.08, solo 'pose' 0.13 = w1 + w4).
    w_adversarial: Optional[Mapping[str, float]] = None
    w_reprojection: float = losses.PAPER_REPROJECTION_WEIGHT  # w2
    w_ninety: float = losses.PAPER_NINETY_WEIGHT  # w3
    label_flip_prob: float = losses.PAPER_LABEL_FLIP_PROB
    # P: 'orthographic' (paper) or 'perspective' (root at depth_offset).
    projection: str = 'orthographic'
    depth_offset: float = 10.0
    max_azimuth: float = MAX_AZIMUTH
    max_elevation: float = MAX_ELEVATION
    batch_views: bool = True
    view_bn_stats: bool = False
    # Max-normalise every synthetic view before the lifter and D see it, as
    # the real input is, and divide the predicted depth by the same factor.
    # The paper does not say; off by default. When off, scale is a cue for D:
    # every real pose has max |coord| exactly 1, most rotated views do not.
    # Exact under orthographic projection (depth scales with the pose); an
    # approximation under perspective, where the offset d does not scale.
    renormalize_views: bool = False
    # Label-free priors against the depth flip (not in the paper).
    w_knee_prior: float = 0.0
    w_facing_prior: float = 0.0

    def adversarial_weight(self, part):
        weights = (losses.PAPER_ADVERSARIAL_WEIGHTS
                   if self.w_adversarial is None else self.w_adversarial)
        if part not in weights:
            raise KeyError(f'no adversarial weight for part {part!r}: '
                           f'give w_adversarial[{part!r}]')
        return float(weights[part])


@dataclasses.dataclass
class LiftedViews:
    """Everything the generator losses need from one lifter forward pass.

    All poses are over the 16 non-root joints.
    """
    pose_2d: torch.Tensor  # (B, 16, 2) real input Y
    depth: torch.Tensor  # (B, 16) ẑ = G(Y)
    pose_3d: torch.Tensor  # (B, 16, 3) lifted prediction
    rotation: torch.Tensor  # (B, 3, 3) R
    view_scale: Optional[torch.Tensor]  # (B, 1, 1) renormalisation, detached
    fake_2d: torch.Tensor  # (B, 16, 2) Ỹ as the discriminator sees it
    cycled_2d: torch.Tensor  # (B, 16, 2) P R^-1 of the re-lifted Ỹ
    depth_from_clockwise_view: torch.Tensor  # (B, 16) eq. 2's G(ẑ, y)
    depth_from_anticlockwise_view: torch.Tensor  # eq. 3's G(−ẑ, y)
    depth_from_half_turn_view: torch.Tensor  # eq. 4's G(−x, y)


def _view_scale(view_2d, config):
    if not config.renormalize_views:
        return None
    return max_abs_scale(view_2d).detach()


def _lift_batch(lifter, inputs, config):
    """Depths for a list of (B, 16, 2) inputs, in one pass or one pass each."""
    if config.batch_views:
        return lifter(torch.cat(inputs, dim=0)).split(inputs[0].shape[0])
    return [lifter(x) for x in inputs]


def lift_views(lifter, pose_2d, config=None, rng=None, rotation=None):
    """Lift Y, rotate and project it (§3.2), and lift every synthetic view.

    ``rotation`` (B, 3, 3) replaces the random R when given (tests).
    """
    config = config or AdversarialConfig()
    proj = dict(projection=config.projection, depth_offset=config.depth_offset)
    batch_size = pose_2d.shape[0]
    depth = lifter(pose_2d)
    pose_3d = lift(pose_2d, depth, **proj)
    if rotation is None:
        rotation = random_rotation(batch_size, rng, pose_2d.device,
                                   pose_2d.dtype, config.max_azimuth,
                                   config.max_elevation)

    views = [project(rotate(pose_3d, rotation), **proj)]
    views += [
        project(rotate_quarter_turns_about_y(pose_3d, turns), **proj)
        for turns in NINETY_DEGREE_TURNS
    ]
    scales = [_view_scale(v, config) for v in views]
    inputs = [v if s is None else v * s for v, s in zip(views, scales)]

    if config.view_bn_stats:
        view_depths = _lift_batch(lifter, inputs, config)
    else:
        with no_bn_stat_updates(lifter):
            view_depths = _lift_batch(lifter, inputs, config)
    # A pose scaled by s has depths scaled by s: undo it.
    view_depths = [
        d if s is None else d / s.reshape(-1, 1)
        for d, s in zip(view_depths, scales)
    ]

    relifted_3d = lift(views[0], view_depths[0], **proj)
    cycled_2d = project(rotate(relifted_3d, invert_rotation(rotation)), **proj)
    return LiftedViews(pose_2d=pose_2d,
                       depth=depth,
                       pose_3d=pose_3d,
                       rotation=rotation,
                       view_scale=scales[0],
                       fake_2d=inputs[0],
                       cycled_2d=cycled_2d,
                       depth_from_clockwise_view=view_depths[1],
                       depth_from_anticlockwise_view=view_depths[2],
                       depth_from_half_turn_view=view_depths[3])


def discriminator_losses(discriminator,
                         real_2d,
                         fake_2d,
                         config=None,
                         rng=None):
    """Eq. 5 for D, on real Y against detached Ỹ (separate BN batches).

    Returns {'loss', 'd_real', 'd_fake', 'd_real_prob', 'd_fake_prob'};
    'd_real'/'d_fake' are the two BCE terms (with flipped labels), the probs
    are D's mean outputs, all but 'loss' detached.
    """
    config = config or AdversarialConfig()
    real = discriminator(real_2d)
    fake = discriminator(fake_2d.detach())
    real_term, fake_term = losses.discriminator_loss_terms(
        real.logits, fake.logits, config.label_flip_prob, rng)
    return {
        'loss': real_term + fake_term,
        'd_real': real_term.detach(),
        'd_fake': fake_term.detach(),
        'd_real_prob': real.probability.detach().mean(),
        'd_fake_prob': fake.probability.detach().mean(),
    }


def scale_gradient(x, scale):
    """Identity in the forward pass; multiplies the gradient by ``scale``."""
    return x * scale + x.detach() * (1.0 - scale)


_PER_POSITION_CACHE: Dict[tuple, torch.Tensor] = {}


def _per_position(parts, values, like):
    """(16,) tensor holding ``values[part]`` at each of the part's positions.

    Cached per (parts, values, device, dtype): built once, so the step does no
    host-to-device copy after its first call.
    """
    key = (tuple((n, tuple(p)) for n, p in parts.items()),
           tuple(sorted(values.items())), like.device, like.dtype)
    if key not in _PER_POSITION_CACHE:
        per_position = [0.0] * sum(len(p) for p in parts.values())
        for name, positions in parts.items():
            for p in positions:
                per_position[p] = float(values[name])
        _PER_POSITION_CACHE[key] = torch.tensor(per_position,
                                                dtype=like.dtype,
                                                device=like.device)
    return _PER_POSITION_CACHE[key]


def _routed_pose_3d(views, parts, owner, config):
    """The lifted pose with the depths of every part but ``owner`` detached,
    so a loss on it reaches only the owner's generator."""
    keep = _per_position(parts, {n: float(n == owner)
                                 for n in parts}, views.depth) > 0
    depth = torch.where(keep, views.depth, views.depth.detach())
    return lift(views.pose_2d,
                depth,
                projection=config.projection,
                depth_offset=config.depth_offset)


def _prior_losses(parts, views, config):
    """{part: weighted prior loss} for the optional anti-flip priors."""
    priors = {name: views.depth.new_zeros(()) for name in parts}
    logs = {}
    for weight, loss_fn, joint, label in (
        (config.w_knee_prior, depth_flip.knee_bend_prior_loss,
         depth_flip.RIGHT_KNEE, 'knee_prior'),
        (config.w_facing_prior, depth_flip.shoulder_hip_facing_loss,
         depth_flip.LEFT_SHOULDER, 'facing_prior'),
    ):
        if weight == 0:
            continue
        # The prior belongs to the generator that predicts `joint`
        # (non-root position joint − 1); the other parts' depths are detached.
        owner = next(n for n, p in parts.items() if joint - 1 in p)
        value = loss_fn(_routed_pose_3d(views, parts, owner, config))
        priors[owner] = priors[owner] + weight * value
        logs[f'g_{label}'] = value.detach()
    return priors, logs


def generator_losses(lifter, discriminator, views, config=None):
    """Eqs. 7–8 for every generator of ``lifter``, summed into 'loss'.

    Logged per part p: 'g_reprojection_p' (L_p2D), 'g_ninety_p' (L_p90°),
    'g_total_p' (L_p); shared: 'g_adversarial' (L_adv, non-saturating),
    'g_depth_abs' (mean |ẑ| on the real batch: a label-free sign of
    collapse, which inflates depths) and the priors when enabled. D is frozen for the pass (no parameter
    gradients, no BN buffer updates).
    """
    config = config or AdversarialConfig()
    parts = lifter.parts
    reprojection = losses.reprojection_consistency_loss(
        views.pose_2d, views.cycled_2d, parts)
    ninety = losses.ninety_degree_consistency_loss(
        views.pose_3d, views.depth_from_clockwise_view,
        views.depth_from_anticlockwise_view, views.depth_from_half_turn_view,
        parts)

    weights = {name: config.adversarial_weight(name) for name in parts}
    total_weight = sum(weights.values())
    if total_weight > 0:
        split = _per_position(parts, {
            n: w / total_weight
            for n, w in weights.items()
        }, views.depth)
        depth = scale_gradient(views.depth, split)
        proj = dict(projection=config.projection,
                    depth_offset=config.depth_offset)
        fake_2d = project(
            rotate(lift(views.pose_2d, depth, **proj), views.rotation), **proj)
        if views.view_scale is not None:
            fake_2d = fake_2d * views.view_scale
        with frozen(discriminator):
            adversarial = losses.adversarial_generator_loss(
                discriminator(fake_2d).logits)
        # Value Σ_p w_p L_adv; gradient w_p ∂L_adv/∂θ_p for each part p.
        shared_adversarial = total_weight * adversarial
    else:
        adversarial = views.depth.new_zeros(())
        shared_adversarial = adversarial

    priors, prior_logs = _prior_losses(parts, views, config)
    out = {}
    loss = shared_adversarial
    for name in parts:
        loss = loss + (config.w_reprojection * reprojection[name] +
                       config.w_ninety * ninety[name] + priors[name])
        out[f'g_reprojection_{name}'] = reprojection[name].detach()
        out[f'g_ninety_{name}'] = ninety[name].detach()
        # L_p of eqs. 7–8 (plus the part's priors); 'loss' equals their sum.
        out[f'g_total_{name}'] = (losses.generator_part_loss(
            adversarial, reprojection[name], ninety[name], weights[name],
            config.w_reprojection, config.w_ninety) + priors[name]).detach()
    out['g_adversarial'] = adversarial.detach()
    out['g_depth_abs'] = views.depth.detach().abs().mean()
    out.update(prior_logs)
    out['loss'] = loss
    return out


def _apply(optimizer, loss):
    """Backward and step with an optimiser, or hand the loss to a callable
    (e.g. mmengine's ``OptimWrapper.update_params``)."""
    if hasattr(optimizer, 'zero_grad') and hasattr(optimizer, 'step'):
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    else:
        optimizer(loss)


def train_one_step(lifter,
                   discriminator,
                   generator_optimizer,
                   discriminator_optimizer,
                   pose_2d,
                   config=None,
                   rng=None,
                   generator_steps=1):
    """One iteration: update D on Y vs Ỹ, then G (``generator_steps`` times).

    The optimisers may be ``torch.optim`` optimisers or callables taking the
    loss. Returns the detached loss dictionaries, D's keys as they are and G's
    from its last step.
    """
    config = config or AdversarialConfig()
    views = lift_views(lifter, pose_2d, config, rng)
    d_out = discriminator_losses(discriminator, pose_2d, views.fake_2d, config,
                                 rng)
    _apply(discriminator_optimizer, d_out['loss'])
    for step in range(generator_steps):
        if step > 0:
            views = lift_views(lifter, pose_2d, config, rng)
        g_out = generator_losses(lifter, discriminator, views, config)
        _apply(generator_optimizer, g_out['loss'])
    logs = {
        f'd_{k}' if k == 'loss' else k: v.detach()
        for k, v in d_out.items()
    }
    logs.update({
        f'g_{k}' if k == 'loss' else k: v.detach()
        for k, v in g_out.items()
    })
    return logs
