"""Knowledge distillation of the part generators into one TIPSy generator (§3.5)."""
import dataclasses

import torch

from .geometry import MAX_AZIMUTH, MAX_ELEVATION, random_rotation, rotate
from .losses import distillation_loss
from .networks import eval_mode, no_bn_stat_updates, run_network
from .normalization import max_abs_coordinate


@dataclasses.dataclass
class DistillationConfig:
    """Options of the distillation stage; defaults: the paper (eq. 9 alone).

    ``rotation_weight`` w_R > 0 adds ``rotated_distillation_loss`` (not in
    the paper; ITES's rotation equivariance): the student also lifts a
    randomly rotated view of each teacher pose, drawn as the adversarial
    stage draws R (azimuth within ±``max_azimuth``, elevation within
    ±``max_elevation``).

    ``cache_targets`` (not in the paper; ITES-style): the teacher lifts the
    whole training set once when distillation begins (its depths corrected
    by a ``sign_choice`` for 'targets', if any: :func:`teacher_targets`),
    and every step reads its batch's rows instead of running the teacher.
    """
    rotation_weight: float = 0.0
    cache_targets: bool = False
    max_azimuth: float = MAX_AZIMUTH
    max_elevation: float = MAX_ELEVATION

    def __post_init__(self):
        if not self.rotation_weight >= 0:
            raise ValueError('rotation_weight must be >= 0, got '
                             f'{self.rotation_weight!r}')


def teacher_depth(teacher, pose_2d, network_dtype=None):
    """ẑ: the frozen teacher's (e.g. ``PartSplitLifter``) depths, in eval mode
    (BN running statistics, no dropout) and without gradients."""
    with torch.no_grad(), eval_mode(teacher):
        return run_network(teacher, pose_2d, network_dtype)


@torch.no_grad()
def teacher_targets(teacher, poses_2d, network_dtype=None,
                    correct_target=None, batch_size=16384):
    """The distillation targets of (N, 16, 2) poses, once: the teacher's
    depths (:func:`teacher_depth`), corrected by ``correct_target(pose_2d,
    depth)`` when given; (N, 16), on the poses' device, in the dtype the
    teacher's depths come in (as the step would compute them)."""
    out = []
    for batch in poses_2d.split(batch_size):
        depth = teacher_depth(teacher, batch, network_dtype)
        if correct_target is not None:
            depth = correct_target(batch, depth)
        out.append(depth)
    return torch.cat(out)


def rotated_teacher_view(pose_2d, target_depth, rotation, projection):
    """A rotated view of the teacher's poses and its depths.

    The teacher's pose X̂ = P⁻¹(Y, ẑ) turned by R (B, 3, 3) and projected,
    max-normalised as the real input is, with the turned pose's depths
    scaled alike (exact under orthographic projection). Returns (view
    (B, 16, 2), depth (B, 16)), both without gradient.
    """
    turned = rotate(projection.back_project(pose_2d, target_depth), rotation)
    view = projection.project(turned)
    scale = 1.0 / max_abs_coordinate(view).clamp(min=1e-6)
    return (view * scale[:, None, None]).detach(), \
        (turned[..., 2] * scale[:, None]).detach()


def rotated_distillation_loss(student, view_2d, view_depth,
                              network_dtype=None):
    """The rotation-equivariance term (not in the paper; ITES): the student
    lifts a rotated view of the teacher's pose (``rotated_teacher_view``) to
    that pose's depths, (1/N) ||G_TIPSy(R X̂ view) − (R X̂)_z||², batch
    averaged. In train mode the student's BatchNorm normalises the views
    with their own batch statistics and leaves its running statistics to
    the real poses."""
    with no_bn_stat_updates(student):
        depth = run_network(student, view_2d, network_dtype)
    return distillation_loss(depth, view_depth)


def distillation_losses(student, teacher, pose_2d, network_dtype=None,
                        correct_target=None, config=None, projection=None,
                        rng=None, target=None):
    """Eq. 6 / 9 for a student lifter on (B, 16, 2) input.

    Returns {'loss': L_TIPSy} ('loss' the weighted sum, with 'distillation'
    and 'rotated' beside it when ``config.rotation_weight`` > 0). The
    teacher's mode is restored afterwards, so a training loop that calls
    ``model.train()`` cannot unfreeze it.
    ``network_dtype`` as in ``AdversarialConfig`` (autocast networks).
    ``correct_target(pose_2d, depth) -> depth``, when given, corrects the
    teacher's depths before they become targets (not in the paper: e.g.
    ``sign_choice.PartSignChooser``'s label-free choice of each part's sign).
    ``config`` (``DistillationConfig``), ``projection`` (P, for the rotated
    views) and ``rng`` (their rotations) serve the rotation term.
    ``target`` (B, 16): the batch's targets, given (a cache of
    :func:`teacher_targets`): the teacher is then not run.
    """
    config = config or DistillationConfig()
    if target is None:
        target = teacher_depth(teacher, pose_2d, network_dtype)
        if correct_target is not None:
            target = correct_target(pose_2d, target)
    student_depth = run_network(student, pose_2d, network_dtype)
    loss = distillation_loss(student_depth, target)
    if not config.rotation_weight:
        return {'loss': loss}
    if projection is None:
        raise ValueError('the rotation term needs the projection P')
    rotation = random_rotation(pose_2d.shape[0], rng, pose_2d.device,
                               pose_2d.dtype, config.max_azimuth,
                               config.max_elevation)
    view, view_depth = rotated_teacher_view(pose_2d, target, rotation,
                                            projection)
    rotated = rotated_distillation_loss(student, view, view_depth,
                                        network_dtype)
    return {'loss': loss + config.rotation_weight * rotated,
            'distillation': loss.detach(), 'rotated': rotated.detach()}


def distillation_train_step(student, teacher, pose_2d, student_optim,
                            network_dtype=None, correct_target=None,
                            config=None, projection=None, rng=None,
                            target=None):
    """One distillation update (eq. 9) through an ``OptimWrapper``-like
    ``student_optim`` (``adversarial_step.OptimizerStep`` for torch)."""
    with student_optim.optim_context(student):
        out = distillation_losses(student, teacher, pose_2d, network_dtype,
                                  correct_target, config, projection, rng,
                                  target)
    student_optim.update_params(out['loss'])
    logs = {'s_loss': out['loss'].detach()}
    for name in ('distillation', 'rotated'):
        if name in out:
            logs[f's_{name}'] = out[name]
    return logs
