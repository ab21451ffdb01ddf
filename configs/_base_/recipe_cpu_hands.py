# Recipe: TIPSy at CPU scale, issue 18's final recipe
# (tipsy_h36m_cpu_hands.py says how it was chosen): the LayerNorm recipe
# (recipe_cpu_ln.py) plus HandsForwardPrior (weight 3, as the other sign
# priors) and the student's learning rate annealed to 0 on a cosine over its
# 10 distillation epochs.
# Leaves: tipsy_h36m_cpu_hands.py, parts_h36m_cpu_hands.py,
# solo_h36m_cpu_hands.py.
_base_ = ['./runtime.py', './h36m_tipsy_data.py', './tipsy_gan.py']

width = 256
model = dict(
    lifter=dict(width=width, norm='layer'),
    discriminator=dict(width=width),
    student=dict(width=width),
    projection=dict(_delete_=True, type='Perspective', depth_offset=5.0),
    priors=[dict(type='KneeBendPrior', weight=3.0),
            dict(type='FacingPrior', weight=3.0),
            dict(type='HandsForwardPrior', weight=3.0),
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
_adversarial, _distillation = 8, 10
train_cfg = dict(_delete_=True, type='TIPSyTrainLoop',
                 adversarial_epochs=_adversarial,
                 distillation_epochs=_distillation)
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
# The student's cosine spans its stage: epochs 8 to 18 (8 adversarial, then
# 10 of distillation). The generators' and the discriminator's rates stay
# constant.
_constant = [dict(type='ConstantLR', factor=1.0, by_epoch=True)]
param_scheduler = dict(
    generator=_constant, discriminator=_constant,
    student=[dict(type='CosineAnnealingLR', T_max=_distillation, eta_min=0.0,
                  begin=_adversarial, end=_adversarial + _distillation,
                  by_epoch=True, convert_to_iter_based=True)])
