"""Generator loss terms that need the lifter itself (not in the paper's
training): ``AdversarialConfig.terms``.

A term is a callable ``term(lifter, views, config)`` that returns an
unweighted scalar loss, with a ``name`` (logged as 'g_<name>') and a
``weight``; ``adversarial_step.generator_losses`` adds ``weight * value`` to
the generators' total. It receives the (possibly DDP-wrapped) lifter for any
extra forward pass, the ``LiftedViews`` of the step and the
``AdversarialConfig`` (for the projection P and the network dtype).
The models build terms from config (registered in MMPose's ``MODELS``), e.g.
``terms=[dict(type='AllAngleConsistency', weight=1.0)]``.

All-angle consistency (appendix A.2, eq. 15)
--------------------------------------------
Our camera frame: x right, y down, z away from the camera; R_θ is eq. 10's
rotation about the vertical y axis, ``geometry.rotation_about_y``::

    R_θ (x, y, ẑ) = (x cos θ − ẑ sin θ,  y,  x sin θ + ẑ cos θ)

(θ = −90° is the quarter turn (x, y, z) → (z, y, −x) of eq. 2,
``geometry.rotate_quarter_turns_about_y(·, 1)``). The lifter G maps the 2D
(x, y) of the 16 non-root joints of a root-centred, max-normalised pose,
(B, 16, 2), to their depths ẑ = G(x, y), (B, 16). Rotation consistency for
every angle (eq. 11) asks, joint by joint,

    c(θ) = (R_θ X)_z − G(P(R_θ X)) = 0,   X = P⁻¹(x, y; ẑ)  (the lifted pose)

with c(0) = 0 by construction. Its first order in θ (eqs. 12–14) is
c'(0) = 0. Under the paper's orthographic P, d/dθ R_θ X = (−ẑ, 0, x), so

    c'(0) = x − Σ_i ∂G/∂x_i · (−ẑ_i) = x + (∂G/∂x) ẑ = 0      (eq. 15)

where (∂G/∂x) ẑ is the 16 × 16 Jacobian of the depths with respect to the
x-coordinates of the input, contracted with ẑ: the derivative of G along the
x-coordinates in the direction ẑ. That is a Jacobian-vector product, which
forward-mode differentiation gives in one extra (dual) pass of the lifter,
without forming the Jacobian. Under another P (``Perspective``) the same
derivation gives c'(0) = X_x − J_G · t with the 2D tangent
t = d/dθ P(R_θ X) at θ = 0 (it then has y-components too), and X_x the lifted
x, the 90° terms' target; ``all_angle_consistency_residual`` computes that
tangent through P itself, so it is the small-angle limit of the same
rotation consistency the 90° terms (eqs. 2–4) sample at θ = ±90°, 180°.

The pass is on the real input Y, which is max-normalised, so (as in eq. 12)
the rotated view is not renormalised: ``renormalize_views`` divides by a
detached peak, whose derivative in θ is 0, so it would not change c'(0).

Normalisation and the batch: the loss means a per-pose derivative. With
``norm='layer'`` or ``'none'`` (``networks.NORMS``) each pose's residual
depends on that pose alone. With BatchNorm in train mode the dual pass
differentiates through the batch statistics as well: every pose's tangent
moves the batch mean and variance, so a pose's residual also carries the
other poses' directions (the derivative of the batch rotated together, not
of each pose). We train with LayerNorm when the term is on; under BatchNorm
the term runs but has that meaning (documented and tested). The dual pass
uses batch statistics in train mode but leaves the running statistics alone
(the real pass has already updated them).
"""
import torch
import torch.autograd.forward_ad as fwAD

from . import losses
from .adversarial_step import unwrap
from .geometry import Orthographic
from .networks import elementary_norms, run_network


def rotation_tangent(pose_3d):
    """d/dθ R_θ X at θ = 0 for eq. 10's R_θ about y: (−z, 0, x), (..., 3)."""
    x, _, z = pose_3d.unbind(-1)
    return torch.stack((-z, torch.zeros_like(x), x), dim=-1)


def projected_rotation_tangent(pose_3d, projection):
    """t = d/dθ P(R_θ X) at θ = 0, (..., J, 2): the 2D direction in which a
    small turn about y moves the view. (−ẑ, 0) under orthographic P."""
    with fwAD.dual_level():
        view = projection.project(
            fwAD.make_dual(pose_3d, rotation_tangent(pose_3d)))
        return fwAD.unpack_dual(view).tangent


def lifter_jvp(lifter, pose_2d, tangent, network_dtype=None):
    """(G(Y), J_G(Y) · t): the lifter's depths and their derivative along
    ``tangent`` (both (B, 16)), by one forward-mode (dual) pass.

    Differentiable (reverse over forward) in the lifter's parameters, in
    ``pose_2d`` and in ``tangent``: the norm layers run from elementary ops
    for the pass (``networks.elementary_norms``), because the backward of
    the fused kernels' JVP formulas is wrong. Works on a DDP-wrapped lifter.
    BatchNorm running statistics are left untouched.
    """
    with elementary_norms(lifter), fwAD.dual_level():
        out = run_network(lifter, fwAD.make_dual(pose_2d, tangent),
                          network_dtype)
        primal, derivative = fwAD.unpack_dual(out)
    if derivative is None:  # the output does not depend on the input
        derivative = torch.zeros_like(primal)
    return primal, derivative


def all_angle_consistency_residual(lifter, pose_2d, depth, projection=None,
                                   network_dtype=None):
    """Eq. 15's residual x + (∂G/∂x) ẑ, (B, 16), one value per joint.

    ``pose_2d`` (B, 16, 2) is the lifter's input Y (the 2D of the 16 non-root
    joints), ``depth`` (B, 16) its output ẑ = G(Y) (kept in the graph: the
    direction of the derivative is the prediction itself). In general (any
    ``projection`` P, default orthographic, the paper's) it is
    d/dθ [(R_θ X)_z − G(P(R_θ X))] at θ = 0 with X = P⁻¹(Y; ẑ) and R_θ eq.
    10's rotation about y (module docstring): X_x − J_G(Y) · t,
    t = d/dθ P(R_θ X), which under orthographic P is exactly
    x + Σ_i ∂G/∂x_i ẑ_i. Zero for every pose iff G is consistent to first
    order under every small turn about the vertical axis.
    """
    projection = projection or Orthographic()
    pose_3d = projection.back_project(pose_2d, depth)
    tangent = projected_rotation_tangent(pose_3d, projection)
    _, derivative = lifter_jvp(lifter, pose_2d, tangent, network_dtype)
    return pose_3d[..., 0] - derivative


def all_angle_consistency_loss(residual, parts):
    """{part: (1/t) ||x + (∂G/∂x) ẑ||² over the part's joints}, batch-mean:
    eq. 15 squared, per generator like L_p90° (§3.3)."""
    squared = residual.square()
    return {
        name: losses.part_mean(squared, positions)
        for name, positions in parts.items()
    }


class AllAngleConsistency:
    """Eq. 15 as a generator loss term: Σ_p (1/t_p) ||x + (∂G/∂x) ẑ||²_p.

    Summed over the part generators like the 90° terms, so each generator
    receives ``weight`` times the mean over its own joints (a part's
    residual depends only on its own generator: its inputs, its depths).
    The derivative is a Jacobian-vector product (forward mode, one extra
    pass of the lifter on the real batch); the gradient reaches the lifter
    through the derivative and through ẑ, its direction. Logged as
    'g_all_angle'. Use a LayerNorm (or unnormalised) lifter for the per-pose
    meaning (module docstring).
    """

    name = 'all_angle'

    def __init__(self, weight=1.0):
        self.weight = float(weight)

    def __call__(self, lifter, views, config):
        parts = unwrap(lifter).parts
        residual = all_angle_consistency_residual(
            lifter, views.pose_2d, views.depth, config.projection,
            config.network_dtype)
        return sum(all_angle_consistency_loss(residual, parts).values())

    def __repr__(self):
        return f'AllAngleConsistency(weight={self.weight})'
