# TIPSy at CPU scale (2 cores, <= 60 min for training, distillation and test).
#   python tools/train.py configs/tipsy_h36m_cpu.py
#   python tools/test.py configs/tipsy_h36m_cpu.py work_dirs/tipsy_h36m_cpu/epoch_5.pth
# PROVISIONAL, TO BE MEASURED: width, batch, frame rate and epochs below are
# placeholders from calibration_notes.md (width 256 and batch 256 learned
# fastest per second there; fps10 is the paper's test rate); replace them by
# measured choices and record the reasons here.
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
