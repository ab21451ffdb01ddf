# Leg + torso generators evaluated directly (no distillation): the paper's
# "Leg and Torso Generator" row, with tipsy_h36m.py's recipe and averaging.
#   python tools/train.py configs/parts_h36m.py
#   python tools/test.py configs/parts_h36m.py work_dirs/parts_h36m/epoch_600.pth
_base_ = ['./_base_/recipe_paper.py']

model = dict(student=None)
train_cfg = dict(distillation_epochs=0)
