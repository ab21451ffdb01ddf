"""Knowledge distillation of the part generators into one TIPSy generator (§3.5)."""
import torch

from .losses import distillation_loss
from .networks import eval_mode, run_network


def teacher_depth(teacher, pose_2d, network_dtype=None):
    """ẑ: the frozen teacher's (e.g. ``PartSplitLifter``) depths, in eval mode
    (BN running statistics, no dropout) and without gradients."""
    with torch.no_grad(), eval_mode(teacher):
        return run_network(teacher, pose_2d, network_dtype)


def distillation_losses(student, teacher, pose_2d, network_dtype=None,
                        correct_target=None):
    """Eq. 6 / 9 for a student lifter on (B, 16, 2) input.

    Returns {'loss': L_TIPSy}. The teacher's mode is restored afterwards, so
    a training loop that calls ``model.train()`` cannot unfreeze it.
    ``network_dtype`` as in ``AdversarialConfig`` (autocast networks).
    ``correct_target(pose_2d, depth) -> depth``, when given, corrects the
    teacher's depths before they become targets (not in the paper: e.g.
    ``sign_choice.PartSignChooser``'s label-free choice of each part's sign).
    """
    target = teacher_depth(teacher, pose_2d, network_dtype)
    if correct_target is not None:
        target = correct_target(pose_2d, target)
    student_depth = run_network(student, pose_2d, network_dtype)
    return {'loss': distillation_loss(student_depth, target)}


def distillation_train_step(student, teacher, pose_2d, student_optim,
                            network_dtype=None, correct_target=None):
    """One distillation update (eq. 9) through an ``OptimWrapper``-like
    ``student_optim`` (``adversarial_step.OptimizerStep`` for torch)."""
    with student_optim.optim_context(student):
        out = distillation_losses(student, teacher, pose_2d, network_dtype,
                                  correct_target)
    student_optim.update_params(out['loss'])
    return {'s_loss': out['loss'].detach()}
