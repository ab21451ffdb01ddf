"""The global depth flip z → −z: label-free priors that break it.

Under orthographic projection every loss of the paper is unchanged when all
predicted depths change sign (calibration notes, observation 1), so nothing in
the paper's recipe decides which of a pose and its mirror image through the
image plane is predicted. Perspective projection (``geometry.project_perspective``)
is one way to break the tie; the priors below are another. They are not part of
the paper and are off unless given a weight. Which poses come out mirrored is
measured by ``pose_metrics.depth_mirrored_mask``.

Poses here are (B, 17, 3) in the MMPose Human3.6M order, or (B, 16, 3) over
the non-root joints with the root at the origin (see ``with_root``). Camera
axes: x right, y down, z away from the camera (right-handed).
"""
import torch
import torch.nn.functional as F

from .skeleton import (LEFT_FOOT, LEFT_HIP, LEFT_KNEE, LEFT_SHOULDER,
                       LEFT_WRIST, NECK_BASE, NUM_JOINTS, RIGHT_FOOT,
                       RIGHT_HIP, RIGHT_KNEE, RIGHT_SHOULDER, RIGHT_WRIST,
                       ROOT, THORAX)


def with_root(pose_3d):
    """(B, 17, 3) from a (B, 16, 3) non-root pose (root at the origin); a
    17-joint pose is returned as it is."""
    if pose_3d.shape[-2] == NUM_JOINTS:
        return pose_3d
    root = pose_3d.new_zeros(pose_3d.shape[:-2] + (1, 3))
    return torch.cat((root, pose_3d), dim=-2)


def body_forward_direction(pose_3d, eps=1e-8):
    """(B, 3) unit vector the body faces: (left hip − right hip) × (thorax − root).

    In the right-handed camera frame, a person facing the camera has the left
    hip at larger x and the thorax at smaller y, so this points to −z, towards
    the camera. Mirroring the depths reverses it relative to the body.
    """
    pose = with_root(pose_3d)
    across = pose[..., LEFT_HIP, :] - pose[..., RIGHT_HIP, :]
    up = pose[..., THORAX, :] - pose[..., ROOT, :]
    forward = torch.linalg.cross(across, up, dim=-1)
    return forward / forward.norm(dim=-1, keepdim=True).clamp(min=eps)


def knee_forward_offsets(pose_3d, eps=1e-8):
    """(B, 2) signed distance of the right and left knee in front of its
    hip→ankle line, along ``body_forward_direction``.

    The offset is the knee's displacement from the hip→ankle line (its
    component perpendicular to that line). Knees bend forward, so it is ≥ 0 for
    real poses (≈ 0 for straight legs) and changes sign when the depths are
    mirrored.
    """
    pose = with_root(pose_3d)
    forward = body_forward_direction(pose, eps)
    offsets = []
    for hip, knee, foot in ((RIGHT_HIP, RIGHT_KNEE, RIGHT_FOOT),
                            (LEFT_HIP, LEFT_KNEE, LEFT_FOOT)):
        hip_to_foot = pose[..., foot, :] - pose[..., hip, :]
        hip_to_knee = pose[..., knee, :] - pose[..., hip, :]
        along = (hip_to_knee * hip_to_foot).sum(-1, keepdim=True) / (
            hip_to_foot.square().sum(-1, keepdim=True).clamp(min=eps))
        off_line = hip_to_knee - along * hip_to_foot
        offsets.append((off_line * forward).sum(-1))
    return torch.stack(offsets, dim=-1)


def knee_bend_prior_loss(pose_3d):
    """Hinge penalty on knees that bend backwards: mean of relu(−offset).

    Label-free and not in the paper. With the depths of the other generators
    detached it is a loss for the generator that predicts the knees only.
    """
    return F.relu(-knee_forward_offsets(pose_3d)).mean()


def knees_forward_share(pose_3d):
    """Fraction of poses whose two knee offsets sum to a forward bend (> 0)."""
    return (knee_forward_offsets(pose_3d).sum(-1) > 0).float().mean()


def shoulder_hip_alignment(pose_3d, eps=1e-8):
    """(B,) cosine between the shoulder line and the hip line (left − right).

    Invariant to the global depth flip but negative when only the torso's (or
    only the legs') depths are mirrored: a check that the two part generators
    agree on the sign.
    """
    pose = with_root(pose_3d)
    shoulders = pose[..., LEFT_SHOULDER, :] - pose[..., RIGHT_SHOULDER, :]
    hips = pose[..., LEFT_HIP, :] - pose[..., RIGHT_HIP, :]
    return F.cosine_similarity(shoulders, hips, dim=-1, eps=eps)


def shoulder_hip_facing_loss(pose_3d):
    """Hinge penalty on shoulders facing against the hips: mean relu(−cos).

    Not in the paper. With the leg depths detached it is a loss for the torso
    generator that aligns its sign with the legs'.
    """
    return F.relu(-shoulder_hip_alignment(pose_3d)).mean()


def facing_agreement_share(pose_3d):
    """Fraction of poses whose shoulders and hips face the same way."""
    return (shoulder_hip_alignment(pose_3d) > 0).float().mean()


def nose_forward_sine(pose_3d, eps=1e-8):
    """(B,) sine of the angle, in the x–z plane, from the right→left
    shoulder line to the thorax→nose direction (Kudo et al. 2018's
    heuristic; in MMPose's Human3.6M order the 'neck_base' joint is the
    nose).

    The nose is in front of the shoulder line, so it is > 0 for real poses
    whichever way the body faces (99.8 % of the converted S9/S11 poses), and
    mirroring the depths negates it.
    """
    pose = with_root(pose_3d)
    nose = pose[..., NECK_BASE, :] - pose[..., THORAX, :]
    across = pose[..., LEFT_SHOULDER, :] - pose[..., RIGHT_SHOULDER, :]
    cross = across[..., 2] * nose[..., 0] - across[..., 0] * nose[..., 2]
    norms = (torch.linalg.vector_norm(nose[..., [0, 2]], dim=-1)
             * torch.linalg.vector_norm(across[..., [0, 2]], dim=-1))
    return cross / norms.clamp(min=eps)


def nose_forward_loss(pose_3d):
    """Hinge penalty on a nose behind the shoulder line: mean relu(−sine)
    (Kudo et al. 2018, weight 1 there). Not in the paper."""
    return F.relu(-nose_forward_sine(pose_3d)).mean()


# sin 20°: how far a hand may be behind its shoulder before the prior
# objects (the shoulder extends little, and the elbow bends forward).
HANDS_BEHIND_MARGIN = 0.342


def hand_forward_sines(pose_3d, eps=1e-8):
    """(B, 2) sine of the left and right shoulder→wrist direction along
    ``body_forward_direction``: > 0 for a hand in front of its shoulder.

    People work with their hands in front of them: the shoulder extends
    (the arm back) far less than it flexes, and the elbow bends forward.
    Mirroring all depths negates the sines; so does mirroring only the
    torso's depths, which the legs' hips fix the forward direction against.
    """
    pose = with_root(pose_3d)
    forward = body_forward_direction(pose, eps)
    sines = []
    for wrist, shoulder in ((LEFT_WRIST, LEFT_SHOULDER),
                            (RIGHT_WRIST, RIGHT_SHOULDER)):
        arm = pose[..., wrist, :] - pose[..., shoulder, :]
        sines.append((arm * forward).sum(-1) /
                     arm.norm(dim=-1).clamp(min=eps))
    return torch.stack(sines, dim=-1)


def hands_forward_loss(pose_3d, margin=HANDS_BEHIND_MARGIN):
    """Hinge penalty on a hand further behind its shoulder than ``margin``
    (a sine): mean over hands and poses of relu(−sine − margin). Not in the
    paper."""
    return F.relu(-hand_forward_sines(pose_3d) - margin).mean()


def hip_collinearity_loss(pose_3d, eps=1e-8):
    """1 + cos of the angle between root→right hip and root→left hip, mean
    over the batch: 0 when the hips are in line through the root (the TIPSy
    authors' later script, ``train_leg_torso_w_angle.py``, weight 10). A
    shape prior: mirroring the depths leaves it unchanged."""
    pose = with_root(pose_3d)
    right = pose[..., RIGHT_HIP, :] - pose[..., ROOT, :]
    left = pose[..., LEFT_HIP, :] - pose[..., ROOT, :]
    return (1 + F.cosine_similarity(right, left, dim=-1, eps=eps)).mean()
