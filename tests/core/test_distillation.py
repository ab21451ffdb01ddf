import copy

import torch

from tipsy_gan.core import distillation, losses
from tipsy_gan.core import networks as nw
from tipsy_gan.core.adversarial_step import OptimizerStep


def _step(student, teacher, optimizer, pose_2d):
    out = distillation.distillation_train_step(student, teacher, pose_2d,
                                               OptimizerStep(optimizer))
    return {'loss': out['s_loss']}


def test_distillation_step_trains_the_student_on_the_frozen_teacher():
    torch.manual_seed(0)
    teacher = nw.PartSplitLifter(width=32).train()
    teacher(torch.rand(64, 16, 2) * 2 - 1)  # non-trivial BN running stats
    student = nw.ResidualLifter(16, 16, width=32)
    optimizer = torch.optim.Adam(student.parameters(), 1e-3)
    teacher_before = copy.deepcopy(teacher.state_dict())
    student_before = copy.deepcopy(student.state_dict())
    pose_2d = torch.rand(64, 16, 2) * 2 - 1

    out = _step(student, teacher, optimizer, pose_2d)

    assert teacher.training  # mode restored
    for name, value in teacher.state_dict().items():
        assert torch.equal(value, teacher_before[name]), name
    assert all(p.grad is None for p in teacher.parameters())
    changed = [
        not torch.equal(v, student_before[k])
        for k, v in student.state_dict().items()
    ]
    assert any(changed)
    # The target is the teacher's eval-mode prediction (eq. 6).
    teacher.eval()
    student_out = nw.ResidualLifter(16, 16, width=32)
    student_out.load_state_dict(student_before)
    expected = losses.distillation_loss(student_out(pose_2d),
                                        teacher(pose_2d).detach())
    assert torch.allclose(out['loss'], expected)


def test_distillation_reduces_the_loss():
    torch.manual_seed(0)
    teacher = nw.PartSplitLifter(width=32).eval()
    student = nw.ResidualLifter(16, 16, width=64)
    optimizer = torch.optim.Adam(student.parameters(), 1e-3)
    pose_2d = torch.rand(128, 16, 2) * 2 - 1
    first = _step(student, teacher, optimizer,
                                           pose_2d)['loss']
    for _ in range(30):
        last = _step(student, teacher, optimizer,
                                              pose_2d)['loss']
    assert last < 0.5 * first


def test_a_target_correction_changes_what_the_student_learns_from():
    torch.manual_seed(0)
    teacher = nw.PartSplitLifter(width=32).eval()
    student = nw.ResidualLifter(16, 16, width=32)
    pose_2d = torch.rand(32, 16, 2) * 2 - 1
    seen = []

    def negate(pose, depth):
        seen.append(pose)
        return -depth

    out = distillation.distillation_losses(student, teacher, pose_2d,
                                           correct_target=negate)
    assert seen and seen[0] is pose_2d
    with torch.no_grad():
        expected = losses.distillation_loss(student(pose_2d),
                                            -teacher(pose_2d))
    assert torch.allclose(out['loss'], expected)
    plain = distillation.distillation_losses(student, teacher, pose_2d)
    assert not torch.allclose(out['loss'], plain['loss'])
