import copy

import pytest
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


def test_a_rotated_teacher_view_is_the_teacher_pose_seen_from_elsewhere():
    from tipsy_gan.core.geometry import (Orthographic, rotate,
                                         rotation_matrix)
    torch.manual_seed(0)
    pose_2d = torch.rand(4, 16, 2) * 2 - 1
    pose_2d = pose_2d / pose_2d.abs().amax(dim=(1, 2), keepdim=True)
    depth = torch.rand(4, 16) - 0.5
    camera = Orthographic()
    same, same_depth = distillation.rotated_teacher_view(
        pose_2d, depth, torch.eye(3).expand(4, 3, 3), camera)
    torch.testing.assert_close(same, pose_2d)  # already max-normalised
    torch.testing.assert_close(same_depth, depth)

    rotation = rotation_matrix(torch.full((4,), 0.7), torch.full((4,), 0.2))
    view, view_depth = distillation.rotated_teacher_view(pose_2d, depth,
                                                         rotation, camera)
    assert torch.allclose(view.abs().amax(dim=(1, 2)), torch.ones(4))
    # Scaled back, view and depth are the turned teacher pose.
    turned = rotate(torch.cat((pose_2d, depth[..., None]), -1), rotation)
    scale = turned[..., :2].abs().amax(dim=(1, 2))
    torch.testing.assert_close(view * scale[:, None, None], turned[..., :2])
    torch.testing.assert_close(view_depth * scale[:, None], turned[..., 2])


def test_the_rotation_term_is_off_by_default_and_adds_to_the_loss():
    from tipsy_gan.core.geometry import Orthographic
    torch.manual_seed(0)
    teacher = nw.PartSplitLifter(width=32).eval()
    student = nw.ResidualLifter(16, 16, width=32)
    pose_2d = torch.rand(32, 16, 2) * 2 - 1
    rng = torch.Generator().manual_seed(1)
    state = rng.get_state()
    plain = distillation.distillation_losses(student, teacher, pose_2d,
                                             rng=rng)
    assert set(plain) == {'loss'}
    assert torch.equal(rng.get_state(), state)  # nothing drawn: the paper
    config = distillation.DistillationConfig(rotation_weight=2.0)
    out = distillation.distillation_losses(
        student, teacher, pose_2d, config=config, projection=Orthographic(),
        rng=rng)
    assert not torch.equal(rng.get_state(), state)
    torch.testing.assert_close(out['distillation'], plain['loss'].detach())
    assert out['rotated'] > 0
    torch.testing.assert_close(out['loss'],
                               out['distillation'] + 2.0 * out['rotated'])
    out['loss'].backward()
    assert all(p.grad is not None for p in student.parameters())
    # The rotated views leave BN's running statistics to the real poses.
    plain_only, with_views = copy.deepcopy(student), copy.deepcopy(student)
    distillation.distillation_losses(plain_only, teacher, pose_2d)
    distillation.distillation_losses(with_views, teacher, pose_2d,
                                     config=config, projection=Orthographic(),
                                     rng=rng)
    buffers = dict(with_views.named_buffers())
    for name, value in plain_only.named_buffers():
        assert torch.equal(value, buffers[name]), name
    with pytest.raises(ValueError, match='rotation_weight'):
        distillation.DistillationConfig(rotation_weight=-1.0)
    with pytest.raises(ValueError, match='projection'):
        distillation.distillation_losses(student, teacher, pose_2d,
                                         config=config)
