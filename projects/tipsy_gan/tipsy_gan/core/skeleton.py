"""The Human3.6M 17-joint layout used by MMPose, and TIPSy's part split."""
import torch


# MMPose's Human36mDataset order.
H36M_JOINT_NAMES = (
    'root', 'right_hip', 'right_knee', 'right_foot', 'left_hip', 'left_knee',
    'left_foot', 'spine', 'thorax', 'neck_base', 'head', 'left_shoulder',
    'left_elbow', 'left_wrist', 'right_shoulder', 'right_elbow', 'right_wrist')
NUM_JOINTS = len(H36M_JOINT_NAMES)
# One name per index, as in H36M_JOINT_NAMES ('right_foot' is the ankle).
(ROOT, RIGHT_HIP, RIGHT_KNEE, RIGHT_FOOT, LEFT_HIP, LEFT_KNEE, LEFT_FOOT,
 SPINE, THORAX, NECK_BASE, HEAD, LEFT_SHOULDER, LEFT_ELBOW, LEFT_WRIST,
 RIGHT_SHOULDER, RIGHT_ELBOW, RIGHT_WRIST) = range(NUM_JOINTS)

# Paper §3.1: the torso generator sees wrists, elbows, shoulders, neck (thorax),
# spine, head (neck base) and crown (head top); the leg generator sees ankles,
# knees and hips. The root is omitted: after centring it is always (0, 0).
TORSO_JOINTS = (7, 8, 9, 10, 11, 12, 13, 14, 15, 16)
LEG_JOINTS = (1, 2, 3, 4, 5, 6)
NON_ROOT_JOINTS = tuple(range(1, NUM_JOINTS))

LEFT_JOINTS = (4, 5, 6, 11, 12, 13)
RIGHT_JOINTS = (1, 2, 3, 14, 15, 16)
FLIP_PAIRS = tuple(zip(LEFT_JOINTS, RIGHT_JOINTS))

# Bones as (parent, child), for drawing and for bone-length checks.
BONES = ((0, 1), (1, 2), (2, 3), (0, 4), (4, 5), (5, 6), (0, 7), (7, 8),
         (8, 9), (9, 10), (8, 11), (11, 12), (12, 13), (8, 14), (14, 15),
         (15, 16))

# The 15 Human3.6M actions as MMPose's per-action metrics name them, in the
# column order of the paper's Table 1 (and MMPose's Human3.6M tables).
H36M_ACTIONS = ('Directions', 'Discussion', 'Eating', 'Greeting', 'Phoning',
                'Photo', 'Posing', 'Purchases', 'Sitting', 'SittingDown',
                'Smoking', 'Waiting', 'WalkDog', 'Walking', 'WalkTogether')

# MPI-INF-3DHP test set: the 17 joints of annot2/annot3/univ_annot3 in the
# files' order, the test kit's "relevant" set (mpii_get_joints('relevant'),
# QitaoZhao/PoseFormerV2 mpi_inf_3dhp/3dhp_test/test_util/mpii_get_joints.m;
# the same order as MMPose's configs/_base_/datasets/mpi_inf_3dhp.py).
MPI_INF_3DHP_JOINT_NAMES = (
    'head_top', 'neck', 'right_shoulder', 'right_elbow', 'right_wrist',
    'left_shoulder', 'left_elbow', 'left_wrist', 'right_hip', 'right_knee',
    'right_ankle', 'left_hip', 'left_knee', 'left_ankle', 'pelvis', 'spine',
    'head')
MPI_INF_3DHP_ROOT = MPI_INF_3DHP_JOINT_NAMES.index('pelvis')  # 14

# The one mapping between the two layouts, joint by joint: the MMPose
# Human3.6M name each 3DHP joint becomes. 3DHP's 'neck' (where the clavicles
# meet) is Human3.6M's thorax, its 'head' (between neck and head top)
# Human3.6M's neck_base (nose), its 'head_top' Human3.6M's head. The same
# correspondence as the index list [14, 8, 9, 10, 11, 12, 13, 15, 1, 16, 0,
# 5, 6, 7, 2, 3, 4] that public 3DHP test loaders feeding Human3.6M-order
# lifters use (e.g. FMPose3D's TEST_NPZ_TO_FMPOSE_17); tests/datasets check
# that it is a permutation and keeps left on the left.
MPI_INF_3DHP_TO_H36M_NAME = {
    'pelvis': 'root',
    'right_hip': 'right_hip', 'right_knee': 'right_knee',
    'right_ankle': 'right_foot',
    'left_hip': 'left_hip', 'left_knee': 'left_knee',
    'left_ankle': 'left_foot',
    'spine': 'spine', 'neck': 'thorax', 'head': 'neck_base',
    'head_top': 'head',
    'left_shoulder': 'left_shoulder', 'left_elbow': 'left_elbow',
    'left_wrist': 'left_wrist',
    'right_shoulder': 'right_shoulder', 'right_elbow': 'right_elbow',
    'right_wrist': 'right_wrist',
}
# poses_h36m = poses_3dhp[..., H36M_FROM_MPI_INF_3DHP, :]
H36M_FROM_MPI_INF_3DHP = tuple(
    MPI_INF_3DHP_JOINT_NAMES.index(
        next(k for k, v in MPI_INF_3DHP_TO_H36M_NAME.items() if v == name))
    for name in H36M_JOINT_NAMES)
# poses_3dhp = poses_h36m[..., MPI_INF_3DHP_FROM_H36M, :]
MPI_INF_3DHP_FROM_H36M = tuple(
    H36M_JOINT_NAMES.index(MPI_INF_3DHP_TO_H36M_NAME[name])
    for name in MPI_INF_3DHP_JOINT_NAMES)

# The 14 joints the official test kit scores (mpii_get_pck_auc_joint_groups.m:
# head top, neck, shoulders, elbows, wrists, hips, knees, ankles; not the
# pelvis, spine or head), as Human3.6M indices.
MPI_INF_3DHP_PCK_JOINT_NAMES = (
    'head_top', 'neck', 'right_shoulder', 'right_elbow', 'right_wrist',
    'left_shoulder', 'left_elbow', 'left_wrist', 'right_hip', 'right_knee',
    'right_ankle', 'left_hip', 'left_knee', 'left_ankle')
MPI_INF_3DHP_PCK_JOINTS = tuple(sorted(
    H36M_JOINT_NAMES.index(MPI_INF_3DHP_TO_H36M_NAME[name])
    for name in MPI_INF_3DHP_PCK_JOINT_NAMES))


def bone_lengths(pose_3d: torch.Tensor) -> torch.Tensor:
    """(B, 16, 3) root-relative non-root joints -> (B, 16) lengths of BONES
    (the root at the origin)."""
    pose = torch.cat([pose_3d.new_zeros(pose_3d.shape[0], 1, 3), pose_3d], 1)
    parent = torch.tensor([p for p, _ in BONES], device=pose.device)
    child = torch.tensor([c for _, c in BONES], device=pose.device)
    return (pose[:, child] - pose[:, parent]).norm(dim=-1)
