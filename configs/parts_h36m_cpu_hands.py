# Leg + torso generators of tipsy_h36m_cpu_hands.py evaluated directly (no
# distillation): the stopping rule's pick, written as picked_lifter.pth.
#   python tools/train.py configs/parts_h36m_cpu_hands.py
#   python tools/analysis/fast_eval.py configs/parts_h36m_cpu_hands.py work_dirs/parts_h36m_cpu_hands/picked_lifter.pth
# (a tipsy_h36m_cpu_hands.py run's picked_lifter.pth is the same teacher)
_base_ = ['./_base_/recipe_cpu_hands.py']

model = dict(student=None)
train_cfg = dict(distillation_epochs=0)
