# TIPSy with the paper's losses and optimiser (tipsy_h36m.py) at CPU scale:
# width 256, batch 256, fps10 (942 iterations an epoch), 4 adversarial epochs
# with the teacher the mean of the lifters after epochs 3 and 4, then 1
# distillation epoch. The paper-recipe baseline of the README; under the
# paper's orthographic P the depth sign is a coin flip per run.
#   python tools/train.py configs/tipsy_h36m_cpu_paper.py
#   python tools/test.py configs/tipsy_h36m_cpu_paper.py work_dirs/tipsy_h36m_cpu_paper/epoch_5.pth
_base_ = ['./_base_/recipe_paper_cpu.py']
