"""The Human3.6M 17-joint layout used by MMPose, and TIPSy's part split."""

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
