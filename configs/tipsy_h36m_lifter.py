# The distilled TIPSy student (paper scale, width 1024) as MMPose's own
# PoseLifter: what tools/test.py, mmpose.apis.init_model /
# inference_pose_lifter_model and the 3D inferencer load. Its weights come
# from a TIPSyGAN checkpoint of configs/tipsy_h36m.py:
#   python tools/export_student.py work_dirs/tipsy_h36m/epoch_700.pth tipsy_student.pth
#   python tools/test.py configs/tipsy_h36m_lifter.py tipsy_student.pth
# Input: 17 Human3.6M 2D keypoints in pixels; output: root-relative 3D in
# pixel units (the 2D pose's scale; TIPSy has no metric scale).
_base_ = ['./_base_/recipe_lifter.py']

model = dict(backbone=dict(width=1024))
