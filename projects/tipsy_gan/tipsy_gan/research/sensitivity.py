"""Keypoint sensitivity of a lifter (paper §4.4, tables 3–5), two measures.

A lifter maps the normalised 2D of the 16 non-root joints, (B, 16, 2), to
their depths, (B, 16). Both measures give, per pose, a 16 × 16 matrix
``S[j, i]``: how much the depth of joint j (row) moves with the 2D of
keypoint i (column), joints in ``skeleton.NON_ROOT_JOINTS`` order (legs
first, then torso: ``networks.LEG_POSITIONS``, ``TORSO_POSITIONS``).

* ``scaled_keypoint_sensitivity``, the paper's measure as it defines it:
  scale one keypoint's normalised 2D coordinate by +5 % ((0.1, 0.1) becomes
  (0.105, 0.105)), all other keypoints unchanged, and record the squared
  change of every joint's predicted depth. (The paper's worked example says
  (0.12, 0.12), which is +20 %; its text says 5 %, which we use.) The pose
  is not renormalised afterwards, and a keypoint near the root moves less.
* ``jacobian_sensitivity``, exact: |∂ẑ_j/∂(x_i, y_i)|, the Euclidean norm
  of the two input derivatives, from ``torch.func.jacrev``.

The lifter runs as given: call it in eval mode (batch norm with its running
statistics), so that every pose is its own function.

Summaries of a matrix (or of a sum of them over poses):
``cross_part_leakage``, the share of the total that flows from leg inputs
to torso depths and from torso inputs to leg depths (exactly 0 for the
leg + torso generators, by construction), and ``within_limb_share``, the
share in which a joint's depth is driven by its own limb's 2D (``LIMBS``).
"""
from typing import Dict, Sequence, Tuple

import torch

from ..core.networks import LEG_POSITIONS, TORSO_POSITIONS
from ..core.skeleton import H36M_JOINT_NAMES, NON_ROOT_JOINTS

PAPER_SCALE = 1.05  # §4.4: "increased by 5 % in size"
PARTS = {'legs': LEG_POSITIONS, 'torso': TORSO_POSITIONS}


def _positions(names):
    return tuple(NON_ROOT_JOINTS.index(H36M_JOINT_NAMES.index(n))
                 for n in names)


# Limbs for the within-limb share, positions in the 16 non-root joints.
LIMBS: Dict[str, Tuple[int, ...]] = {
    'right_leg': _positions(('right_hip', 'right_knee', 'right_foot')),
    'left_leg': _positions(('left_hip', 'left_knee', 'left_foot')),
    'spine_head': _positions(('spine', 'thorax', 'neck_base', 'head')),
    'left_arm': _positions(('left_shoulder', 'left_elbow', 'left_wrist')),
    'right_arm': _positions(('right_shoulder', 'right_elbow',
                             'right_wrist')),
}

# The paper's names of the 17 Human3.6M joints (its tables 3-5): its neck is
# our thorax, its head our neck_base, its crown our head (skeleton.py).
PAPER_JOINT_NAMES = {
    'right_hip': 'Right Hip', 'right_knee': 'Right Knee',
    'right_foot': 'Right Ankle', 'left_hip': 'Left Hip',
    'left_knee': 'Left Knee', 'left_foot': 'Left Ankle', 'spine': 'Spine',
    'thorax': 'Neck', 'neck_base': 'Head', 'head': 'Crown',
    'left_shoulder': 'Left Shoulder', 'left_elbow': 'Left Elbow',
    'left_wrist': 'Left Wrist', 'right_shoulder': 'Right Shoulder',
    'right_elbow': 'Right Elbow', 'right_wrist': 'Right Wrist',
}
# The keypoints the paper's tables 3, 4 and 5 perturb (H36M names).
PAPER_TABLE_KEYPOINTS = ('right_knee', 'left_wrist', 'neck_base')


def joint_names():
    """The 16 non-root joint names in position order."""
    return [H36M_JOINT_NAMES[j] for j in NON_ROOT_JOINTS]


def position_of(name):
    return NON_ROOT_JOINTS.index(H36M_JOINT_NAMES.index(name))


def scaled_keypoint_inputs(pose_2d, scale=PAPER_SCALE):
    """(B, 16, 16, 2): copy i of each pose has keypoint i's (x, y) times
    ``scale``, every other keypoint unchanged."""
    n = pose_2d.shape[1]
    factor = torch.ones(n, n, 1, dtype=pose_2d.dtype, device=pose_2d.device)
    factor[torch.arange(n), torch.arange(n)] = scale
    return pose_2d[:, None] * factor


@torch.no_grad()
def scaled_keypoint_sensitivity(lifter, pose_2d, scale=PAPER_SCALE,
                                chunk=1024):
    """The paper's measure: (B, 16, 16) ``S[b, j, i]`` = (ẑ_j(keypoint i
    scaled by ``scale``) − ẑ_j)², for each pose b."""
    out = []
    for start in range(0, len(pose_2d), chunk):
        poses = pose_2d[start:start + chunk]
        base = lifter(poses)  # (b, 16)
        n = poses.shape[1]
        moved = lifter(scaled_keypoint_inputs(poses, scale).flatten(0, 1))
        moved = moved.reshape(len(poses), n, n)  # (b, i, j)
        out.append((moved - base[:, None]).square().transpose(1, 2))
    return torch.cat(out)


def jacobian(lifter, pose_2d, chunk=1024):
    """(B, 16, 16, 2) ∂ẑ_j/∂(x_i, y_i) per pose (index [b, j, i, c]).

    One reverse-mode Jacobian of the summed batch (``torch.func.jacrev``):
    exact per pose when the poses are independent (eval mode).
    """
    out = []
    for start in range(0, len(pose_2d), chunk):
        poses = pose_2d[start:start + chunk].detach()
        full = torch.func.jacrev(lambda x: lifter(x).sum(0))(poses)
        out.append(full.permute(1, 0, 2, 3).detach())  # (j, b, i, c) -> b
    return torch.cat(out)


def jacobian_sensitivity(lifter, pose_2d, chunk=1024):
    """The exact measure: (B, 16, 16) ``S[b, j, i]`` = |∂ẑ_j/∂(x_i, y_i)|."""
    return jacobian(lifter, pose_2d, chunk).norm(dim=-1)


def block_sum(matrix, rows, cols):
    """Σ of ``matrix[..., rows, cols]`` over the last two dimensions."""
    rows = torch.as_tensor(rows, device=matrix.device)
    cols = torch.as_tensor(cols, device=matrix.device)
    return matrix.index_select(-2, rows).index_select(-1, cols).sum((-2, -1))


def cross_part_leakage(matrix, parts: Dict[str, Sequence[int]] = None):
    """Share of the total of ``matrix[..., j, i]`` (depth j, input i) in
    which input and depth belong to different parts (default legs and
    torso: leg inputs → torso depths plus torso inputs → leg depths).
    Per matrix over the leading dimensions."""
    parts = list((PARTS if parts is None else parts).values())
    cross = sum(block_sum(matrix, rows, cols) for rows in parts
                for cols in parts if rows is not cols)
    return cross / matrix.sum((-2, -1))


def within_limb_share(matrix, limbs: Dict[str, Sequence[int]] = None):
    """Share of the total of ``matrix[..., j, i]`` in which depth j and input
    i lie on the same limb (``LIMBS``: each leg, each arm, spine + head)."""
    limbs = LIMBS if limbs is None else limbs
    total = matrix.sum((-2, -1))
    return sum(block_sum(matrix, p, p) for p in limbs.values()) / total
