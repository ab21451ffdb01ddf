# Leg + torso generators evaluated directly (no distillation), at CPU scale:
# tipsy_h36m_cpu.py's recipe and averaging without its student.
#   python tools/train.py configs/parts_h36m_cpu.py
#   python tools/test.py configs/parts_h36m_cpu.py work_dirs/parts_h36m_cpu/epoch_2.pth
_base_ = ['./_base_/recipe_cpu.py']

model = dict(student=None)
train_cfg = dict(distillation_epochs=0)
