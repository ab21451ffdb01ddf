# The solo generator (the paper's baseline) with the paper's recipe at CPU
# scale: tipsy_h36m_cpu_paper.py with one lifter and no student.
#   python tools/train.py configs/solo_h36m_cpu_paper.py
#   python tools/test.py configs/solo_h36m_cpu_paper.py work_dirs/solo_h36m_cpu_paper/epoch_4.pth
_base_ = ['./_base_/recipe_paper_cpu.py']

model = dict(lifter=dict(type='SoloLifter'), student=None)
train_cfg = dict(distillation_epochs=0)
