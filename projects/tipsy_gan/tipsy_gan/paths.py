"""Where the shared (read-only) data and the converted data live.

One environment variable, ``TIPSY_SHARED_DIR``, points at the shared folder;
it defaults to ``../shared`` beside the repository root.
"""
import os
from pathlib import Path

SHARED_DIR_ENV = 'TIPSY_SHARED_DIR'
REPO_ROOT = Path(__file__).resolve().parents[3]


def shared_dir() -> Path:
    """The shared data folder: ``$TIPSY_SHARED_DIR`` or ``<repo>/../shared``."""
    env = os.environ.get(SHARED_DIR_ENV)
    return Path(env) if env else REPO_ROOT.parent / 'shared'


def converted_h36m_dir() -> Path:
    """Where the converter writes MMPose-format Human3.6M (git-ignored)."""
    return Path(os.environ.get('TIPSY_H36M_DIR', REPO_ROOT / 'data' / 'h36m'))


def h36m_fixture_dir() -> Path:
    """MMPose's own Human3.6M test fixture: four frames, their 2D and 3D."""
    return shared_dir() / 'data' / 'mmpose_h36m_fixture'


# The published lifter: configs/tipsy_h36m_cpu_hands.py's distilled student
# (of five seeds, the one a label-free rule picks), exported by
# tools/export_student.py. The demos lift with it by default.
# (The earlier students, tipsy_h36m_cpu_hands_student.pth (the hands recipe
# with 5 distillation epochs), tipsy_h36m_cpu_ln8_student.pth and
# tipsy_h36m_cpu_ln_student.pth (the LayerNorm recipe at 8 and 4 epochs),
# tipsy_h36m_cpu_bone_student.pth and tipsy_h36m_cpu_student.pth, stay
# beside it for their results rows.)
DEFAULT_LIFTER_CONFIG = REPO_ROOT / 'configs' / 'tipsy_h36m_cpu_lifter.py'
PUBLISHED_STUDENT = (REPO_ROOT / 'projects' / 'tipsy_gan' / 'checkpoints' /
                     'tipsy_h36m_cpu_hands10_student.pth')
