# An inspection of stability, not a method: configs/solo_h36m_cpu.py trained
# for 4 adversarial epochs without weight averaging, so that each epoch's
# checkpoint holds the lifter as that epoch left it (as the paper's fig. 3
# plots the test error per epoch). Nothing is chosen with these numbers.
#   python tools/train.py configs/inspection/solo_h36m_cpu_4ep.py
#   python tools/test.py configs/inspection/solo_h36m_cpu_4ep.py work_dirs/solo_h36m_cpu_4ep/epoch_2.pth
_base_ = ['../_base_/recipe_cpu.py']

model = dict(lifter=dict(type='SoloLifter'), student=None)
train_cfg = dict(adversarial_epochs=4, distillation_epochs=0)
custom_hooks = [
    dict(type='SyncBuffersHook'),
    dict(type='NonFiniteLossHook'),
]
