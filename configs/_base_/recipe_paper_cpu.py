# Recipe: the paper's losses and optimiser (recipe_paper.py) at CPU scale:
# width 256, batch 256, fps10 (942 iterations an epoch), 4 adversarial
# epochs with the teacher the mean of the lifters after epochs 3 and 4, then
# 1 distillation epoch.
# Leaves: tipsy_h36m_cpu_paper.py, parts_h36m_cpu_paper.py,
# solo_h36m_cpu_paper.py.
_base_ = ['./runtime.py', './h36m_tipsy_data.py', './tipsy_gan.py']

width = 256
model = dict(lifter=dict(width=width), discriminator=dict(width=width),
             student=dict(width=width))
train_dataloader = dict(
    batch_size=256,
    num_workers=0,  # two cores: the step needs them both
    persistent_workers=False,
    dataset=dict(ann_file='annotation_body3d/fps10/h36m_train.npz'))

# No validation while training: S9/S11 carry 3D labels, which must never
# choose the epoch (calibration_notes.md); tools/test.py evaluates the result.
val_cfg = None
val_dataloader = None
val_evaluator = None
train_cfg = dict(_delete_=True, type='TIPSyTrainLoop', adversarial_epochs=4,
                 distillation_epochs=1)
default_hooks = dict(
    # every epoch: resume points, and the NaN guard names the latest one
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3,
                    save_last=True))
custom_hooks = [
    dict(type='SyncBuffersHook'),  # BN statistics across processes
    # Snapshots at the last iterations of epochs 3 and 4.
    dict(type='TIPSyEMAHook', ema_type='StochasticWeightAverage',
         begin_epochs=2, interval_epochs=1, update_buffers=True),
    dict(type='NonFiniteLossHook'),
]
