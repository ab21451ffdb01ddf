"""The published CPU-scale student: present, small, the bytes its sha256
says, and loadable by MMPose as a PoseLifter. (Its accuracy on real poses
is tested with the demo, from the MMPose fixture's ground-truth 2D.)"""
import hashlib

import torch
from mmpose.apis import init_model

import tipsy_gan.mmpose_modules  # noqa: F401
from tipsy_gan.paths import REPO_ROOT

CHECKPOINTS = REPO_ROOT / 'projects' / 'tipsy_gan' / 'checkpoints'
STUDENT = CHECKPOINTS / 'tipsy_h36m_cpu_student.pth'


def test_the_published_student_is_small_and_matches_its_sha256():
    assert STUDENT.stat().st_size <= 20 * 2**20
    listed = dict(line.split()[::-1] for line in
                  (CHECKPOINTS / 'SHA256SUMS').read_text().splitlines())
    digest = hashlib.sha256(STUDENT.read_bytes()).hexdigest()
    assert listed[STUDENT.name] == digest
    readme = (REPO_ROOT / 'projects' / 'tipsy_gan' / 'README.md').read_text()
    assert digest in readme


def test_mmpose_loads_the_published_student():
    model = init_model(str(REPO_ROOT / 'configs' / 'tipsy_h36m_cpu_lifter.py'),
                       str(STUDENT), device='cpu')
    assert model.dataset_meta['num_keypoints'] == 17
    weights = [p for p in model.parameters()]
    assert weights and all(torch.isfinite(p).all() for p in weights)
