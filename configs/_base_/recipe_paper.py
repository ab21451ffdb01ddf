# Recipe: TIPSy at paper scale (§3.6), the paper's losses and optimiser,
# meant for a GPU. Width 1024, batch 8192, fps50 training data, 600
# adversarial epochs, the teacher the lifter's stochastic weight average over
# epochs 300..600, then 100 distillation epochs (tipsy_h36m.py says why).
# Leaves: tipsy_h36m.py, parts_h36m.py, solo_h36m.py.
_base_ = ['./runtime.py', './h36m_tipsy_data.py', './tipsy_gan.py']

width = 1024
model = dict(lifter=dict(width=width), discriminator=dict(width=width),
             student=dict(width=width))
train_dataloader = dict(
    batch_size=8192,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(ann_file='annotation_body3d/fps50/h36m_train.npz'))

# No validation while training: S9/S11 carry 3D labels, which must never
# choose the epoch (calibration_notes.md); tools/test.py evaluates the result.
val_cfg = None
val_dataloader = None
val_evaluator = None
train_cfg = dict(_delete_=True, type='TIPSyTrainLoop', adversarial_epochs=600,
                 distillation_epochs=100)
default_hooks = dict(
    # every epoch: resume points, and the NaN guard names the latest one
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3,
                    save_last=True))
custom_hooks = [
    dict(type='SyncBuffersHook'),  # BN statistics across processes
    # The teacher: the mean lifter (BN statistics included) from epoch 300.
    dict(type='EMAHook', ema_type='StochasticWeightAverage', begin_epoch=300,
         update_buffers=True),
    dict(type='NonFiniteLossHook'),
]
