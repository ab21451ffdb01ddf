# The distilled TIPSy student (paper scale, width 1024) as MMPose's own
# PoseLifter: what tools/test.py, mmpose.apis.init_model /
# inference_pose_lifter_model and the 3D inferencer load. Its weights come
# from a TIPSyGAN checkpoint of configs/tipsy_h36m.py:
#   python tools/export_student.py work_dirs/tipsy_h36m/epoch_700.pth tipsy_student.pth
#   python tools/test.py configs/tipsy_h36m_lifter.py tipsy_student.pth
# Input: 17 Human3.6M 2D keypoints in pixels; output: root-relative 3D in
# pixel units (the 2D pose's scale; TIPSy has no metric scale).
_base_ = ['./_base_/runtime.py', './_base_/h36m_tipsy_data.py']

model = dict(
    type='PoseLifter',
    backbone=dict(type='TIPSyLifterBackbone', width=1024, num_blocks=4,
                  activation='leaky_relu'),
    head=dict(type='TIPSyLiftingHead', decoder={{_base_.codec}}),
)
train_cfg = None  # trained by TIPSyGAN, not here
# MMPose's Pose3dLocalVisualizer, fixed for this stack and scale-free 3D
# (tipsy_gan/visualization/pose3d_visualizer.py): MMPoseInferencer's pictures.
visualizer = dict(type='TIPSyPose3dVisualizer',
                  vis_backends=[dict(type='LocalVisBackend')],
                  name='visualizer')
