# The solo generator (the paper's baseline), at CPU scale: tipsy_h36m_cpu.py's
# recipe and stopping rule with one lifter on the whole pose and no student.
#   python tools/train.py configs/solo_h36m_cpu.py
#   python tools/test.py configs/solo_h36m_cpu.py work_dirs/solo_h36m_cpu/epoch_4.pth
_base_ = ['./tipsy_h36m_cpu.py']

model = dict(lifter=dict(type='SoloLifter'), student=None, distillation_epochs=0)
train_cfg = dict(max_epochs={{_base_.adversarial_epochs}})
