# The solo generator under tipsy_h36m_cpu_hands.py's recipe, no student.
#   python tools/train.py configs/solo_h36m_cpu_hands.py
#   python tools/analysis/fast_eval.py configs/solo_h36m_cpu_hands.py work_dirs/solo_h36m_cpu_hands/picked_lifter.pth
_base_ = ['./_base_/recipe_cpu_hands.py']

model = dict(lifter=dict(type='SoloLifter'), student=None)
train_cfg = dict(distillation_epochs=0)
