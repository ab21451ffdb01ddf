"""Label-free pose priors as extra generator loss terms (not in the paper).

A prior is a callable on the lifted pose, (B, 16, 3) over the non-root
joints, returning an unweighted scalar loss. It declares, in ``joints``
(Human3.6M 17-joint indices or names), the joints it acts on: its gradient
reaches every part generator that predicts one of them (through all of that
generator's joints), and the other generators' depths enter as constants
(``adversarial_step.prior_terms``). A solo lifter owns every joint, so it
gets every prior whole.
The models build priors from config (registered in MMPose's ``MODELS``), e.g.
``priors=[dict(type='KneeBendPrior', weight=1.0)]``.

Both priors below break the global depth flip z -> -z that leaves every loss
of the paper unchanged under orthographic projection (``depth_flip``).
"""
from . import depth_flip
from .skeleton import H36M_JOINT_NAMES


def joint_indices(names):
    """17-joint indices for joint names (or indices, passed through)."""
    return tuple(n if isinstance(n, int) else H36M_JOINT_NAMES.index(n)
                 for n in names)


class PosePrior:
    """Base: ``weight`` times ``loss(pose_3d)``, acting on ``joints``."""

    name = 'prior'
    default_joints = ()

    def __init__(self, weight=1.0, joints=None):
        self.weight = float(weight)
        self.joints = joint_indices(self.default_joints if joints is None
                                    else joints)
        if not self.joints or 0 in self.joints:
            raise ValueError(f'{type(self).__name__}: joints must name '
                             f'non-root joints, got {self.joints}')

    def __call__(self, pose_3d):
        raise NotImplementedError

    def __repr__(self):
        return f'{type(self).__name__}(weight={self.weight}, joints={self.joints})'


class KneeBendPrior(PosePrior):
    """Knees bend forward: a hinge on each knee's offset behind its
    hip-ankle line (``depth_flip.knee_bend_prior_loss``). It acts on the
    leg joints; the body's forward direction also reads the thorax, which
    for a leg + torso split enters as the torso generator's constant."""

    name = 'knee_prior'
    default_joints = ('right_hip', 'right_knee', 'right_foot', 'left_hip',
                      'left_knee', 'left_foot')

    def __call__(self, pose_3d):
        return depth_flip.knee_bend_prior_loss(pose_3d)


class FacingPrior(PosePrior):
    """The shoulders face the way the hips do: a hinge on the cosine of the
    shoulder and hip lines (``depth_flip.shoulder_hip_facing_loss``). It
    acts on the shoulders; for a leg + torso split the hips are the legs'
    constant, so the torso takes its depth sign from the legs."""

    name = 'facing_prior'
    default_joints = ('left_shoulder', 'right_shoulder')

    def __call__(self, pose_3d):
        return depth_flip.shoulder_hip_facing_loss(pose_3d)
