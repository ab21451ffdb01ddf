"""Knowledge distillation of the part generators into one TIPSy generator (§3.5)."""
import torch

from .losses import distillation_loss
from .networks import eval_mode


def teacher_depth(teacher, pose_2d):
    """ẑ: the frozen teacher's (e.g. ``PartSplitLifter``) depths, in eval mode
    (BN running statistics, no dropout) and without gradients."""
    with torch.no_grad(), eval_mode(teacher):
        return teacher(pose_2d)


def distillation_losses(student, teacher, pose_2d):
    """Eq. 6 / 9 for a student lifter on (B, 16, 2) input.

    Returns {'loss': L_TIPSy}. The teacher's mode is restored afterwards, so
    a training loop that calls ``model.train()`` cannot unfreeze it.
    """
    target = teacher_depth(teacher, pose_2d)
    return {'loss': distillation_loss(student(pose_2d), target)}


def distillation_train_step(student, teacher, pose_2d, student_optim):
    """One distillation update (eq. 9) through an ``OptimWrapper``-like
    ``student_optim`` (``adversarial_step.OptimizerStep`` for torch)."""
    with student_optim.optim_context(student):
        out = distillation_losses(student, teacher, pose_2d)
    student_optim.update_params(out['loss'])
    return {'s_loss': out['loss'].detach()}
