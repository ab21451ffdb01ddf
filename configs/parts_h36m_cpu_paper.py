# Leg + torso generators evaluated directly, with the paper's recipe at CPU
# scale: tipsy_h36m_cpu_paper.py without its student.
#   python tools/train.py configs/parts_h36m_cpu_paper.py
#   python tools/test.py configs/parts_h36m_cpu_paper.py work_dirs/parts_h36m_cpu_paper/epoch_4.pth
_base_ = ['./_base_/recipe_paper_cpu.py']

model = dict(student=None)
train_cfg = dict(distillation_epochs=0)
