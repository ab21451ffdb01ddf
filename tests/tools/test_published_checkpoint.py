"""The published CPU-scale student: present, small, the bytes its sha256
says, and loadable by MMPose as a PoseLifter. (Its accuracy on real poses
is tested with the demo, from the MMPose fixture's ground-truth 2D.)"""
import hashlib

import pytest
import torch
from mmpose.apis import init_model

import tipsy_gan.mmpose_modules  # noqa: F401
from tipsy_gan.paths import PUBLISHED_STUDENT, REPO_ROOT

CHECKPOINTS = REPO_ROOT / 'projects' / 'tipsy_gan' / 'checkpoints'
# the demos' default (the hands recipe's student, 10 distillation epochs) and
# the earlier ones
STUDENTS = (PUBLISHED_STUDENT,
            CHECKPOINTS / 'tipsy_h36m_cpu_hands_student.pth',
            CHECKPOINTS / 'tipsy_h36m_cpu_ln8_student.pth',
            CHECKPOINTS / 'tipsy_h36m_cpu_ln_student.pth',
            CHECKPOINTS / 'tipsy_h36m_cpu_bone_student.pth',
            CHECKPOINTS / 'tipsy_h36m_cpu_student.pth')


@pytest.mark.parametrize('student', STUDENTS, ids=lambda p: p.name)
def test_the_published_student_is_small_and_matches_its_sha256(student):
    assert student.stat().st_size <= 20 * 2**20
    listed = dict(line.split()[::-1] for line in
                  (CHECKPOINTS / 'SHA256SUMS').read_text().splitlines())
    digest = hashlib.sha256(student.read_bytes()).hexdigest()
    assert listed[student.name] == digest
    readme = (REPO_ROOT / 'projects' / 'tipsy_gan' / 'README.md').read_text()
    assert digest in readme


@pytest.mark.parametrize('student', STUDENTS, ids=lambda p: p.name)
def test_mmpose_loads_the_published_student(student):
    model = init_model(str(REPO_ROOT / 'configs' / 'tipsy_h36m_cpu_lifter.py'),
                       str(student), device='cpu')
    assert model.dataset_meta['num_keypoints'] == 17
    weights = [p for p in model.parameters()]
    assert weights and all(torch.isfinite(p).all() for p in weights)
