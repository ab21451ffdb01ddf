# Recipe: the distilled TIPSy student as MMPose's own PoseLifter, for
# tools/test.py, mmpose.apis.init_model / inference_pose_lifter_model and
# the 3D inferencer; its weights come from tools/export_student.py. The
# width is the leaf's (the student's it loads).
# Leaves: tipsy_h36m_lifter.py (width 1024), tipsy_h36m_cpu_lifter.py and
# tipsy_3dhp_test.py (width 256).
_base_ = ['./runtime.py', './h36m_tipsy_data.py']

model = dict(
    type='PoseLifter',
    backbone=dict(type='TIPSyLifterBackbone', num_blocks=4,
                  activation='leaky_relu'),
    head=dict(type='TIPSyLiftingHead', decoder={{_base_.codec}}),
)
train_cfg = None  # trained by TIPSyGAN, not here
# MMPose's Pose3dLocalVisualizer, fixed for this stack and scale-free 3D
# (tipsy_gan/visualization/pose3d_visualizer.py): MMPoseInferencer's pictures.
visualizer = dict(type='TIPSyPose3dVisualizer',
                  vis_backends=[dict(type='LocalVisBackend')],
                  name='visualizer')
