# Leg + torso generators of tipsy_h36m_cpu_ln.py evaluated directly (no
# distillation): the stopping rule's pick, written as picked_lifter.pth.
#   python tools/train.py configs/history/parts_h36m_cpu_ln.py
#   python tools/analysis/fast_eval.py configs/history/parts_h36m_cpu_ln.py work_dirs/parts_h36m_cpu_ln/picked_lifter.pth
# (a tipsy_h36m_cpu_ln.py run's picked_lifter.pth is the same teacher)
_base_ = ['../_base_/recipe_cpu_ln.py']

model = dict(student=None)
train_cfg = dict(distillation_epochs=0)
