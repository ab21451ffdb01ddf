# The solo generator (the paper's baseline) at CPU scale: tipsy_h36m_cpu.py's
# recipe and averaging with one lifter on the whole pose and no student. Both
# priors act on the one lifter (it predicts knees, shoulders and hips alike).
#   python tools/train.py configs/solo_h36m_cpu.py
#   python tools/test.py configs/solo_h36m_cpu.py work_dirs/solo_h36m_cpu/epoch_2.pth
_base_ = ['./_base_/recipe_cpu.py']

model = dict(lifter=dict(type='SoloLifter'), student=None)
train_cfg = dict(distillation_epochs=0)
