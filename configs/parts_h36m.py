# Leg + torso generators evaluated directly (no distillation): the paper's
# "Leg and Torso Generator" row. Same recipe, epochs and stopping rule as
# tipsy_h36m.py; the test network is the mean lifter over epochs 300..600.
#   python tools/train.py configs/parts_h36m.py
#   python tools/test.py configs/parts_h36m.py work_dirs/parts_h36m/epoch_600.pth
_base_ = ['./tipsy_h36m.py']

model = dict(student=None, distillation_epochs=0)
train_cfg = dict(max_epochs=600)
