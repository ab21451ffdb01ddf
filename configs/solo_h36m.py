# The solo generator: one lifter on the whole 2D pose, the paper's baseline
# (its adversarial weight is w1 + w4 = 0.13). No distillation; same epochs
# and stopping rule as tipsy_h36m.py.
#   python tools/train.py configs/solo_h36m.py
#   python tools/test.py configs/solo_h36m.py work_dirs/solo_h36m/epoch_600.pth
_base_ = ['./tipsy_h36m.py']

model = dict(lifter=dict(type='SoloLifter'), student=None,
             distillation_epochs=0)
train_cfg = dict(max_epochs=600)
