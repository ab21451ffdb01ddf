# TIPSy with the paper's exact losses and optimiser (tipsy_h36m.py) scaled
# down to the CPU: width 256, batch 256, fps10, 4 adversarial epochs averaged
# over epochs 3..4, 1 distillation epoch. Kept as the paper-recipe baseline;
# configs/tipsy_h36m_cpu.py is the CPU recipe that learns (README, "CPU
# scale"). Here the depth sign is a coin flip per run (orthographic
# symmetry, calibration_notes.md) and no seed beat zero depth. The CPU
# scale below is also the CPU recipe's (tipsy_h36m_cpu.py inherits it).
#   python tools/train.py configs/tipsy_h36m_cpu_paper.py
#   python tools/test.py configs/tipsy_h36m_cpu_paper.py work_dirs/tipsy_h36m_cpu_paper/epoch_5.pth
_base_ = ['./tipsy_h36m.py']

width = 256
train_fps = 'fps10'
adversarial_epochs = 4
distillation_epochs = 1
model = dict(
    lifter=dict(width=width),
    discriminator=dict(width=width),
    student=dict(width=width),
    adversarial_epochs=adversarial_epochs,
    distillation_epochs=distillation_epochs,
)
train_cfg = dict(max_epochs=adversarial_epochs + distillation_epochs)
train_dataloader = dict(
    batch_size=256,
    num_workers=0,  # two cores: the step needs them both
    persistent_workers=False,
    dataset=dict(ann_file=f'annotation_body3d/{train_fps}/h36m_train.npz'))
custom_hooks = [
    dict(type='SyncBuffersHook'),  # BN statistics across processes
    dict(type='TIPSyStageHook', stopping=dict(type='average', begin=3, end=4)),
    dict(type='NonFiniteLossHook'),
]
