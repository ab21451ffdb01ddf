# The solo generator: one lifter on the whole 2D pose, the paper's baseline
# (its adversarial weight is w1 + w4 = 0.13), with tipsy_h36m.py's recipe and
# averaging and no distillation.
#   python tools/train.py configs/solo_h36m.py
#   python tools/test.py configs/solo_h36m.py work_dirs/solo_h36m/epoch_600.pth
_base_ = ['./_base_/recipe_paper.py']

model = dict(lifter=dict(type='SoloLifter'), student=None)
train_cfg = dict(distillation_epochs=0)
