# The solo generator under tipsy_h36m_cpu_bone.py's recipe (bone prior,
# 4 epochs, the stopping rule's pick), no student.
#   python tools/train.py configs/history/solo_h36m_cpu_bone.py
#   python tools/test.py configs/history/solo_h36m_cpu_bone.py work_dirs/solo_h36m_cpu_bone/picked_lifter.pth
_base_ = ['../_base_/recipe_cpu_bone.py']

model = dict(lifter=dict(type='SoloLifter'), student=None)
train_cfg = dict(distillation_epochs=0)
