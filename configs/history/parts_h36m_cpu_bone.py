# Leg + torso generators of tipsy_h36m_cpu_bone.py evaluated directly (no
# distillation): the stopping rule's pick, written as picked_lifter.pth.
#   python tools/train.py configs/history/parts_h36m_cpu_bone.py
#   python tools/test.py configs/history/parts_h36m_cpu_bone.py work_dirs/parts_h36m_cpu_bone/picked_lifter.pth
# (a tipsy_h36m_cpu_bone.py run's picked_lifter.pth is the same teacher)
_base_ = ['../_base_/recipe_cpu_bone.py']

model = dict(student=None)
train_cfg = dict(distillation_epochs=0)
