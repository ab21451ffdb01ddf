# Recipe: TIPSy at CPU scale with ElePose's bone-length prior (issue 11's
# recipe, history/tipsy_h36m_cpu_bone.py says how it was chosen): the CPU recipe
# (recipe_cpu.py) plus BoneProportionPrior (weight 1), 4 adversarial epochs
# and the stopping rule 'min_bone_spread' in place of weight averaging, then
# 1 distillation epoch.
# Leaves: history/tipsy_h36m_cpu_bone.py, history/parts_h36m_cpu_bone.py,
# history/solo_h36m_cpu_bone.py.
_base_ = ['./runtime.py', './h36m_tipsy_data.py', './tipsy_gan.py']

width = 256
model = dict(
    lifter=dict(width=width),
    discriminator=dict(width=width),
    student=dict(width=width),
    projection=dict(_delete_=True, type='Perspective', depth_offset=5.0),
    priors=[dict(type='KneeBendPrior', weight=1.0),
            dict(type='FacingPrior', weight=1.0),
            dict(type='BoneProportionPrior', weight=1.0)],
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
train_cfg = dict(_delete_=True, type='TIPSyTrainLoop', adversarial_epochs=4,
                 distillation_epochs=1)
default_hooks = dict(
    # every epoch: resume points, and the NaN guard names the latest one
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3,
                    save_last=True))
custom_hooks = [
    dict(type='SyncBuffersHook'),  # BN statistics across processes
    dict(type='NonFiniteLossHook'),
    # The teacher: the label-free rule's pick (research/stopping.py) of a
    # snapshot every quarter epoch (236 iterations of fps10's 942).
    # metrics=False: a final run trains on S8's 2D, and the rule reads no
    # metric anyway.
    dict(type='TIPSyCurveHook', interval_epochs=0.25,
         select='min_bone_spread', metrics=False),
]
