# Recipe: TIPSy at CPU scale (tipsy_h36m_cpu.py says why each option
# differs from the paper's recipe): perspective P with renormalised views,
# the knee-bend and facing priors, discriminator lr 5e-5, 2 adversarial
# epochs with the teacher the mean lifter over epoch 2, 1 distillation epoch
# at lr 1e-3; bf16 autocast where the CPU has it and fused Adam (speed).
# Leaves: tipsy_h36m_cpu.py, parts_h36m_cpu.py, solo_h36m_cpu.py,
# inspection/parts_h36m_cpu_4ep.py, inspection/solo_h36m_cpu_4ep.py.
_base_ = ['./runtime.py', './h36m_tipsy_data.py', './tipsy_gan.py']

width = 256
model = dict(
    lifter=dict(width=width),
    discriminator=dict(width=width),
    student=dict(width=width),
    projection=dict(_delete_=True, type='Perspective', depth_offset=5.0),
    priors=[dict(type='KneeBendPrior', weight=1.0),
            dict(type='FacingPrior', weight=1.0)],
    adversarial=dict(renormalize_views=True, network_dtype='auto'),
)
train_dataloader = dict(
    batch_size=256,
    num_workers=0,  # two cores: the step needs them both
    persistent_workers=False,
    dataset=dict(ann_file='annotation_body3d/fps10/h36m_train.npz'))
optim_wrapper = dict(
    generator=dict(optimizer=dict(fused=True)),
    discriminator=dict(optimizer=dict(lr=5e-5, fused=True)),
    student=dict(optimizer=dict(lr=1e-3, fused=True)),
)

# No validation while training: S9/S11 carry 3D labels, which must never
# choose the epoch (calibration_notes.md); tools/test.py evaluates the result.
val_cfg = None
val_dataloader = None
val_evaluator = None
train_cfg = dict(_delete_=True, type='TIPSyTrainLoop', adversarial_epochs=2,
                 distillation_epochs=1)
default_hooks = dict(
    # every epoch: resume points, and the NaN guard names the latest one
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3,
                    save_last=True))
custom_hooks = [
    dict(type='SyncBuffersHook'),  # BN statistics across processes
    # The teacher: the mean lifter over epoch 2, a snapshot every 5
    # iterations from its 5th.
    dict(type='TIPSyEMAHook', ema_type='StochasticWeightAverage',
         begin_epochs=1, interval=5, update_buffers=True),
    dict(type='NonFiniteLossHook'),
]
