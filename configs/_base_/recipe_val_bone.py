# Research recipe: recipe_val_cpu.py (the CPU recipe under the validation
# protocol, scored on S8) plus ElePose's bone-length prior
# (BoneProportionPrior, core/priors.py), weight 1. The teacher and stage
# lengths stay the CPU recipe's; tools/analysis/stability_study.py sets the
# epochs and the stopping rule on its command line.
# Leaves: research/tipsy_h36m_cpu_val_bone_prior*.py.
_base_ = ['./runtime.py', './h36m_tipsy_data.py', './tipsy_gan.py',
          './h36m_validation_protocol.py']

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
# The validation protocol: trained on the 2D of S1, S5, S6, S7;
# tools/test.py and tools/analysis/fast_eval.py score S8.
train_dataloader = dict(
    batch_size=256,
    num_workers=0,  # two cores: the step needs them both
    persistent_workers=False,
    dataset=dict(ann_file='annotation_body3d/fps10/h36m_train.npz',
                 subjects={{_base_.train_subjects}}))
test_dataloader = dict(dataset={{_base_.validation_dataset}})
optim_wrapper = dict(
    generator=dict(optimizer=dict(fused=True)),
    discriminator=dict(optimizer=dict(lr=5e-5, fused=True)),
    student=dict(optimizer=dict(lr=1e-3, fused=True)),
)

# No validation while training: the S8 labels describe runs through
# tools/test.py and fast_eval, and never choose the epoch.
val_cfg = None
val_dataloader = None
val_evaluator = None
train_cfg = dict(_delete_=True, type='TIPSyTrainLoop', adversarial_epochs=2,
                 distillation_epochs=1)
default_hooks = dict(
    # every epoch: resume points, and the NaN guard names the latest one
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3,
                    save_last=True))
# The teacher averages epoch 2 from its 5th iteration, every 5th.
custom_hooks = [
    dict(type='SyncBuffersHook'),  # BN statistics across processes
    dict(type='TIPSyEMAHook', ema_type='StochasticWeightAverage',
         begin_epochs=1, interval=5, update_buffers=True),
    dict(type='NonFiniteLossHook'),
]
