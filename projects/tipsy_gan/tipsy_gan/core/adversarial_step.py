"""One adversarial training iteration of §3 (fig. 1), in plain PyTorch.

``adversarial_train_step`` is the only implementation of the iteration; the
mmengine model (``TIPSyGAN.train_step``) and plain-torch loops both call it::

    views = lift_views(lifter, Y, config, rng)          # G(Y), R, P, views
    d = discriminator_losses(D, Y, views.fake_2d, config.gan_loss, rng)
    step D on d['loss']                                 # eq. 5 for D
    g = generator_losses(lifter.parts, D, views, config, lifter)
    step G on g['loss'] = Σ_p L_p + Σ_k priors_k + Σ_m terms_m   # eqs. 7–8

The optimisers are anything with mmengine's ``OptimWrapper`` protocol
(``update_params(loss)`` and ``optim_context(module)``): an
``OptimWrapperDict`` entry, or ``OptimizerStep`` around a torch optimiser.
``rng`` is a ``torch.Generator`` (or None for the global one) that draws the
rotations and the label flips. Every function returns tensors (no
``.item()``), so nothing waits for the device.

Loss dictionaries hold the total under 'loss' and the components under names
without the substring 'loss' (mmengine's ``parse_losses`` sums every key that
contains it, which would count the components twice).

Design choices (see ``AdversarialConfig``):

* Adversarial weights per generator (eqs. 7–8). The part generators share one
  adversarial loss L_adv with different weights w_p. Their parameters are
  disjoint and each drives only its own joints' depths, so the backward of
  Σ_p w_p L_adv gives part p exactly w_p ∂L_adv/∂θ_p when the gradient that
  reaches part p's depths is scaled by w_p / Σ_q w_q
  (``split_adversarial_gradient``): one pass of D serves every part.
* Batched views. The re-lift of the rotated view and the three 90° views all
  depend only on the first prediction, so with ``batch_views`` they go through
  the lifter as one batch of 4B ((K + 3)B with K = ``num_rotations``
  rotations per pose). In train mode BatchNorm then normalises them
  with the statistics of that mixture of views rather than of each view alone
  (four separate passes, ``batch_views=False``).
* BN running statistics. By default only the pass on the real 2D updates the
  running statistics (``view_bn_stats=False``); the synthetic views and the
  discriminator's pass in the generator step use batch statistics but leave
  the buffers alone. At test time the lifter sees real 2D only.
"""
import contextlib
import dataclasses
from typing import Dict, Mapping, Optional, Sequence

import torch
from torch.nn.parallel import DistributedDataParallel

from . import losses
from .gan_losses import BCEGANLoss
from .geometry import (MAX_AZIMUTH, MAX_ELEVATION, Orthographic,
                       invert_rotation, random_rotation, rotate,
                       rotate_quarter_turns_about_y)
from .networks import frozen, no_bn_stat_updates, run_network
from .normalization import max_abs_coordinate
from .skeleton import FLIP_PAIRS

# Quarter turns about y of the three 90° constraints, in the order of eqs. 2–4.
NINETY_DEGREE_TURNS = (1, 3, 2)


@dataclasses.dataclass
class AdversarialConfig:
    """Weights and options of the adversarial stage; defaults: the paper.

    ``projection``, ``gan_loss`` and ``priors`` are objects (the models build
    them from config through the registry); the rest are plain numbers.
    """

    # w1 / w4 (eqs. 7–8) keyed by part name; None → PAPER_ADVERSARIAL_WEIGHTS
    # (legs 0.05, torso 0.08, solo 'pose' 0.13 = w1 + w4).
    w_adversarial: Optional[Mapping[str, float]] = None
    w_reprojection: float = losses.PAPER_REPROJECTION_WEIGHT  # w2
    w_ninety: float = losses.PAPER_NINETY_WEIGHT  # w3
    # P of §3.2: geometry.Orthographic() (the paper) or Perspective(d).
    projection: object = dataclasses.field(default_factory=Orthographic)
    # Eq. 5's objective: BCE with 5 % label flips (the paper).
    gan_loss: object = dataclasses.field(default_factory=BCEGANLoss)
    # Extra label-free loss terms (core.priors), none in the paper.
    priors: Sequence[object] = ()
    # Extra terms that need the lifter, called term(lifter, views, config)
    # -> unweighted scalar, with .name and .weight (core.consistency_terms,
    # e.g. eq. 15's AllAngleConsistency); none in the paper's training.
    terms: Sequence[object] = ()
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
    # Run the networks (lifter, D) under torch.autocast in this dtype
    # ('bfloat16' or 'float16'); their outputs, the geometry, the losses and
    # the optimiser state stay float32. None: everything in the input dtype.
    network_dtype: Optional[str] = None
    # Stabilisers, none in the paper (issue 11):
    # R1 gradient penalty on D's real inputs (Mescheder et al. 2018),
    # weight γ: D's loss gains γ/2 E||∇_Y D(Y)||², which keeps D from
    # sharpening on the real poses;
    r1_weight: float = 0.0
    # a random left-right mirror of each real 2D pose before the step (x to
    # −x, left and right joints swapped), as the paper's authors' code does.
    mirror_prob: float = 0.0
    # Random rotations R per pose and step (the paper: 1). With K > 1 every
    # lifted pose is rotated K times: D sees K·B fakes against the B real
    # poses, and the reprojection term averages over the K cycles (ITES
    # draws 4); the 90° views stay one set per pose.
    num_rotations: int = 1

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
    # With K = config.num_rotations, the rotated views are K·B long, the K
    # rotations of pose b at b, B + b, 2B + b, ...
    rotation: torch.Tensor  # (K·B, 3, 3) R
    view_scale: Optional[torch.Tensor]  # (K·B, 1, 1) renormalisation, detached
    fake_2d: torch.Tensor  # (K·B, 16, 2) Ỹ as the discriminator sees it
    cycled_2d: torch.Tensor  # (K·B, 16, 2) P R^-1 of the re-lifted Ỹ
    depth_from_clockwise_view: torch.Tensor  # (B, 16) eq. 2's G(ẑ, y)
    depth_from_anticlockwise_view: torch.Tensor  # eq. 3's G(−ẑ, y)
    depth_from_half_turn_view: torch.Tensor  # eq. 4's G(−x, y)

    @property
    def num_rotations(self):
        return self.rotation.shape[0] // self.pose_2d.shape[0]

    def per_rotation(self, x):
        """``x`` (B, ...) repeated once per rotation, as the rotated views
        are laid out (K·B, ...)."""
        k = self.num_rotations
        return x if k == 1 else x.repeat(k, *([1] * (x.dim() - 1)))


def unwrap(module):
    """The module inside a (Distributed)DataParallel wrapper."""
    return module.module if isinstance(module, DistributedDataParallel) \
        else module


def view_scale(view_2d, config, eps=1e-6):
    """(B, 1, 1) factor that brings a synthetic view back to the input's
    max-normalisation, max |coord| = 1 (None when off)."""
    if not config.renormalize_views:
        return None
    peak = max_abs_coordinate(view_2d).detach()
    return (1.0 / peak.clamp(min=eps)).reshape(-1, 1, 1)


def renormalised(view_2d, scale):
    """The view as the lifter and D see it: times its renormalising factor."""
    return view_2d if scale is None else view_2d * scale


def _lift_batch(lifter, inputs, config):
    """Depths for a list of (N_i, 16, 2) inputs, in one pass or one pass
    each."""
    dtype = config.network_dtype
    if config.batch_views:
        return run_network(lifter, torch.cat(inputs, dim=0),
                           dtype).split([x.shape[0] for x in inputs])
    return [run_network(lifter, x, dtype) for x in inputs]


def lift_views(lifter, pose_2d, config=None, rng=None, rotation=None):
    """Lift Y, rotate and project it (§3.2), and lift every synthetic view.

    ``rotation`` (K·B, 3, 3) replaces the random R when given (tests).
    """
    config = config or AdversarialConfig()
    if int(config.num_rotations) < 1:
        raise ValueError('num_rotations must be >= 1, got '
                         f'{config.num_rotations}')
    camera = config.projection
    batch_size = pose_2d.shape[0]
    depth = run_network(lifter, pose_2d, config.network_dtype)
    pose_3d = camera.back_project(pose_2d, depth)
    if rotation is None:
        rotation = random_rotation(batch_size * int(config.num_rotations),
                                   rng, pose_2d.device, pose_2d.dtype,
                                   config.max_azimuth, config.max_elevation)
    repeats = rotation.shape[0] // batch_size
    rotated_input = (pose_3d if repeats == 1 else
                     pose_3d.repeat(repeats, 1, 1))

    views = [camera.project(rotate(rotated_input, rotation))]
    views += [
        camera.project(rotate_quarter_turns_about_y(pose_3d, turns))
        for turns in NINETY_DEGREE_TURNS
    ]
    scales = [view_scale(v, config) for v in views]
    inputs = [renormalised(v, s) for v, s in zip(views, scales)]

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

    relifted_3d = camera.back_project(views[0], view_depths[0])
    cycled_2d = camera.project(rotate(relifted_3d, invert_rotation(rotation)))
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


def r1_penalty(real_logits, real_2d):
    """R1 (Mescheder et al. 2018): E ||∇_Y D(Y)||² over the real poses,
    differentiable (create_graph) so that D's step descends it; ``real_2d``
    must require grad."""
    grad, = torch.autograd.grad(real_logits.sum(), real_2d,
                                create_graph=True)
    return grad.square().flatten(1).sum(1).mean()


def discriminator_losses(discriminator, real_2d, fake_2d, gan_loss=None,
                         rng=None, network_dtype=None, r1_weight=0.0):
    """Eq. 5 for D, on real Y against detached Ỹ (separate BN batches).

    Returns {'loss', 'd_real', 'd_fake', 'd_real_score', 'd_fake_score'}:
    the loss's two terms (with flipped labels) and D's mean outputs as the
    loss reads them (probabilities for BCE), all but 'loss' detached. With
    ``r1_weight`` γ > 0 the loss adds γ/2 ``r1_penalty`` (logged 'd_r1').
    """
    gan_loss = gan_loss or BCEGANLoss()
    if r1_weight:
        real_2d = real_2d.detach().requires_grad_(True)
    real = run_network(discriminator, real_2d, network_dtype)
    fake = run_network(discriminator, fake_2d.detach(), network_dtype)
    real_term, fake_term = gan_loss.discriminator_terms(real, fake, rng)
    out = {
        'loss': real_term + fake_term,
        'd_real': real_term.detach(),
        'd_fake': fake_term.detach(),
        'd_real_score': gan_loss.score(real.detach()).mean(),
        'd_fake_score': gan_loss.score(fake.detach()).mean(),
    }
    if r1_weight:
        penalty = r1_penalty(real, real_2d)
        out['loss'] = out['loss'] + 0.5 * r1_weight * penalty
        out['d_r1'] = penalty.detach()
    return out


def random_mirror(pose_2d, prob, rng=None):
    """Each (B, 16, 2) pose mirrored left-right with probability ``prob``:
    x → −x and the left and right joints swapped (a valid pose of the
    mirrored person)."""
    swapped = list(range(pose_2d.shape[1]))
    for left, right in FLIP_PAIRS:  # 17-joint indices; positions are -1
        swapped[left - 1], swapped[right - 1] = right - 1, left - 1
    mirrored = pose_2d[:, swapped] * pose_2d.new_tensor([-1.0, 1.0])
    pick = torch.rand(pose_2d.shape[0], generator=rng,
                      device=pose_2d.device) < prob
    return torch.where(pick[:, None, None], mirrored, pose_2d)


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


def split_adversarial_gradient(depth, parts, weights):
    """``depth`` whose gradient reaching part p is scaled by w_p / Σ_q w_q.

    With it, one discriminator pass gives L_adv such that the backward of
    Σ_p w_p L_adv hands part p's generator exactly w_p ∂L_adv/∂θ_p (eqs.
    7–8): the parts' parameters are disjoint and each part drives only its
    own depths.
    """
    total = sum(weights.values())
    split = _per_position(parts, {n: w / total for n, w in weights.items()},
                          depth)
    return scale_gradient(depth, split)


def parts_owning(parts, joints):
    """Names of the parts that predict any of ``joints`` (17-joint indices)."""
    positions = {j - 1 for j in joints}
    return [n for n, p in parts.items() if positions & set(p)]


def prior_terms(priors, parts, views, projection):
    """{prior name: unweighted value}, each prior on the lifted pose in which
    only the generators that own one of its joints keep their gradient."""
    values = {}
    for prior in priors:
        owners = set(parts_owning(parts, prior.joints))
        keep = _per_position(parts, {n: float(n in owners)
                                     for n in parts}, views.depth) > 0
        depth = torch.where(keep, views.depth, views.depth.detach())
        values[prior.name] = prior(projection.back_project(views.pose_2d,
                                                           depth))
    return values


def generator_losses(parts, discriminator, views, config=None, lifter=None):
    """Eqs. 7–8 for every generator, plus the priors and the terms.

    'loss' = Σ_p ``losses.generator_part_loss`` (L_p = w_p L_adv + w2 L_p2D
    + w3 L_p90°) + Σ_k weight_k prior_k + Σ_m weight_m term_m; this is what
    is backpropagated. ``parts`` maps each generator to its positions
    (``lifter.parts``); ``lifter`` (possibly DDP-wrapped) is needed only by
    ``config.terms``, which are called as ``term(lifter, views, config)``.

    Logged per part p: 'g_reprojection_p' (L_p2D), 'g_ninety_p' (L_p90°),
    'g_total_p' (L_p); shared: 'g_adversarial' (L_adv), 'g_depth_abs' (mean
    |ẑ| on the real batch: a label-free sign of collapse, which inflates
    depths), 'g_<prior name>' per prior and 'g_<term name>' per term. D is
    frozen for the pass (no parameter gradients, no BN buffer updates).
    """
    config = config or AdversarialConfig()
    if config.terms and lifter is None:
        raise ValueError('config.terms need the lifter: pass '
                         'generator_losses(..., lifter=lifter)')
    camera = config.projection
    reprojection = losses.reprojection_consistency_loss(
        views.per_rotation(views.pose_2d), views.cycled_2d, parts)
    ninety = losses.ninety_degree_consistency_loss(
        views.pose_3d, views.depth_from_clockwise_view,
        views.depth_from_anticlockwise_view, views.depth_from_half_turn_view,
        parts)

    weights = {name: config.adversarial_weight(name) for name in parts}
    if sum(weights.values()) > 0:
        depth = split_adversarial_gradient(views.depth, parts, weights)
        fake_2d = renormalised(
            camera.project(
                rotate(views.per_rotation(
                    camera.back_project(views.pose_2d, depth)),
                       views.rotation)), views.view_scale)
        with frozen(discriminator):
            adversarial = config.gan_loss.generator_term(
                run_network(discriminator, fake_2d, config.network_dtype))
    else:
        adversarial = views.depth.new_zeros(())

    part_losses = {
        name: losses.generator_part_loss(adversarial, reprojection[name],
                                         ninety[name], weights[name],
                                         config.w_reprojection,
                                         config.w_ninety)
        for name in parts
    }
    priors = prior_terms(config.priors, parts, views, camera)
    loss = sum(part_losses.values())
    for prior in config.priors:
        loss = loss + prior.weight * priors[prior.name]
    terms = {}
    for term in config.terms:
        terms[term.name] = term(lifter, views, config)
        loss = loss + term.weight * terms[term.name]

    out = {}
    for name in parts:
        out[f'g_reprojection_{name}'] = reprojection[name].detach()
        out[f'g_ninety_{name}'] = ninety[name].detach()
        out[f'g_total_{name}'] = part_losses[name].detach()
    out['g_adversarial'] = adversarial.detach()
    out['g_depth_abs'] = views.depth.detach().abs().mean()
    out.update({f'g_{k}': v.detach() for k, v in priors.items()})
    out.update({f'g_{k}': v.detach() for k, v in terms.items()})
    out['loss'] = loss
    return out


class OptimizerStep:
    """A torch optimiser behind mmengine's ``OptimWrapper`` protocol, for
    plain-torch loops: ``update_params(loss)`` and ``optim_context(module)``."""

    def __init__(self, optimizer):
        self.optimizer = optimizer

    def update_params(self, loss):
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()

    @contextlib.contextmanager
    def optim_context(self, module):
        yield


def _prefixed(out, prefix):
    return {(prefix + 'loss' if k == 'loss' else k): v.detach()
            for k, v in out.items()}


def adversarial_train_step(lifter, discriminator, pose_2d, config,
                           generator_optim, discriminator_optim, rng=None):
    """Fig. 1: update D on Y against Ỹ = P R G(Y), then the generators.

    ``lifter`` and ``discriminator`` may be DDP-wrapped; the generator step
    calls D unwrapped, so its DDP never waits for the gradients a frozen pass
    does not produce; the terms get the lifter as given (their extra pass
    goes through its DDP). Returns the detached losses ('d_loss', 'g_loss' and
    their components). With ``config.mirror_prob`` the batch is first
    mirrored at random (``random_mirror``).
    """
    if config.mirror_prob:
        pose_2d = random_mirror(pose_2d, config.mirror_prob, rng)
    with generator_optim.optim_context(lifter):
        views = lift_views(lifter, pose_2d, config, rng)
    with discriminator_optim.optim_context(discriminator):
        d_out = discriminator_losses(discriminator, pose_2d, views.fake_2d,
                                     config.gan_loss, rng,
                                     config.network_dtype, config.r1_weight)
    discriminator_optim.update_params(d_out['loss'])
    with generator_optim.optim_context(lifter):
        g_out = generator_losses(unwrap(lifter).parts, unwrap(discriminator),
                                 views, config, lifter)
    generator_optim.update_params(g_out['loss'])
    return {**_prefixed(d_out, 'd_'), **_prefixed(g_out, 'g_')}
