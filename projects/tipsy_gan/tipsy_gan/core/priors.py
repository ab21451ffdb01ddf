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

The knee, facing, nose and hands-forward priors break the global depth flip z -> -z that
leaves every loss of the paper unchanged under orthographic projection
(``depth_flip``); the bone-proportion and hip-collinearity priors are shape
priors, blind to it.
"""
from . import depth_flip
from .skeleton import H36M_JOINT_NAMES, bone_lengths


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


class NoseForwardPrior(PosePrior):
    """The nose is in front of the shoulder line (Kudo et al. 2018): a
    hinge on the x–z sine of thorax→nose against right→left shoulder
    (``depth_flip.nose_forward_loss``). Torso joints only: it sets the
    torso's depth sign from the torso's own 3D."""

    name = 'nose_prior'
    default_joints = ('thorax', 'neck_base', 'left_shoulder',
                      'right_shoulder')

    def __call__(self, pose_3d):
        return depth_flip.nose_forward_loss(pose_3d)


class HandsForwardPrior(PosePrior):
    """Hands in front of the body: a hinge on each shoulder→wrist direction
    behind the body's forward direction (``depth_flip.hands_forward_loss``,
    margin sin 20°). It acts on the arms, which for a leg + torso split the
    torso generator predicts: its arms take their depth sign against the
    legs' hips. A torso mirrored alone puts the hands behind the back."""

    name = 'hands_prior'
    default_joints = ('left_elbow', 'left_wrist', 'right_elbow',
                      'right_wrist')

    def __init__(self, weight=1.0, joints=None,
                 margin=depth_flip.HANDS_BEHIND_MARGIN):
        super().__init__(weight, joints)
        self.margin = float(margin)

    def __call__(self, pose_3d):
        return depth_flip.hands_forward_loss(pose_3d, self.margin)


class HipCollinearityPrior(PosePrior):
    """The two hips in line through the root (the TIPSy authors' later
    code, weight 10 there): ``depth_flip.hip_collinearity_loss``. A shape
    prior on the legs' hip depths; exact on the converted data (one
    skeleton for every subject, hips collinear), so, as the bone prior, it
    is unusually strong here."""

    name = 'hip_prior'
    default_joints = ('right_hip', 'left_hip')

    def __call__(self, pose_3d):
        return depth_flip.hip_collinearity_loss(pose_3d)


# ElePose's bone-length relations (bastianwandt/ElePose, train.py,
# ``bone_relations_mean``): each bone's length over the mean bone length of
# an average Human3.6M body, in ``skeleton.BONES`` order (hip, thigh, shin
# right then left; spine, thorax-neck, neck-head, head; shoulder, upper and
# lower arm left then right). Population statistics of proportions, not a
# per-pose label.
ELEPOSE_BONE_RELATIONS = (0.5181, 1.7371, 1.7229, 0.5181, 1.7371, 1.7229,
                          0.9209, 0.9879, 0.4481, 0.4450, 0.5746, 1.0812,
                          0.9652, 0.5746, 1.0812, 0.9652)


def bone_proportion_loss(pose_3d, relations=ELEPOSE_BONE_RELATIONS):
    """ElePose's bone-length prior: Σ_b (r_b − l_b / mean_b' l_b')² per pose,
    averaged over the batch; ``pose_3d`` (B, 16, 3) root-relative."""
    lengths = bone_lengths(pose_3d)
    relative = lengths / lengths.mean(dim=1, keepdim=True).clamp_min(1e-8)
    target = relative.new_tensor(relations)
    return (target - relative).square().sum(1).mean()


class BoneProportionPrior(PosePrior):
    """Bones keep an average body's proportions (``bone_proportion_loss``;
    ElePose weights it 50). It acts on every joint, so each part generator
    gets the gradient of the whole skeleton's proportions, the other part's
    depths held constant. Caveat: the converted Human3.6M data has one
    skeleton for every subject, which makes this prior unusually exact
    here."""

    name = 'bone_prior'
    default_joints = H36M_JOINT_NAMES[1:]

    def __init__(self, weight=1.0, joints=None,
                 relations=ELEPOSE_BONE_RELATIONS):
        super().__init__(weight, joints)
        if len(relations) != 16:
            raise ValueError(f'relations: one per bone (16), got '
                             f'{len(relations)}')
        self.relations = tuple(float(r) for r in relations)

    def __call__(self, pose_3d):
        return bone_proportion_loss(pose_3d, self.relations)
