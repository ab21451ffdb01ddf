# The solo generator (baseline), at CPU scale.
#   python tools/train.py configs/solo_h36m_cpu.py
#   python tools/test.py configs/solo_h36m_cpu.py work_dirs/solo_h36m_cpu/epoch_4.pth
# PROVISIONAL, TO BE MEASURED: same placeholders as tipsy_h36m_cpu.py.
_base_ = ['./solo_h36m.py']

width = 256
train_fps = 'fps10'
model = dict(
    lifter=dict(width=width),
    discriminator=dict(width=width),
    adversarial_epochs=4,
)
train_cfg = dict(max_epochs=4)
train_dataloader = dict(
    batch_size=256,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(ann_file=f'annotation_body3d/{train_fps}/h36m_train.npz'))
custom_hooks = [
    dict(type='SyncBuffersHook'),  # BN statistics across processes
    dict(type='TIPSyStageHook', stopping=dict(type='average', begin=3, end=4)),
    dict(type='NonFiniteLossHook'),
]
