# TIPSy-GAN training on converted Human3.6M (S1, S5, S6, S7, S8), 2D only:
# the networks' shapes (appendix fig. 4), the paper's P and GAN loss, the train
# loader, optimisers, loop and hooks every TIPSy-GAN config shares. Leaves set
# the width, their recipe's options, the scale (batch, frame rate), the stage
# lengths (train_cfg) and the weight averaging (an EMAHook in custom_hooks).
#
# Train data: TIPSyPose2DDataset, a Human36mDataset (same files, same frame
# selection, ground-truth 2D) that normalises every pose once with the codec
# and yields (B, 16, 2) batches; it never loads a 3D field, so training cannot
# read one. MMPose's per-pose pipeline also works (TIPSyGAN reads only the 2D
# inputs), about 100x slower:
#   train_dataloader = dict(collate_fn=dict(type='pseudo_collate'),
#       dataset=dict(type='Human36mDataset', seq_len=1, causal=True,
#                    keypoint_2d_src='gt', pipeline={{_base_.pipeline}}))
_base_ = ['./runtime.py', './h36m_tipsy_data.py']

model = dict(
    type='TIPSyGAN',
    lifter=dict(type='PartSplitLifter', num_blocks=4, activation='leaky_relu'),
    discriminator=dict(type='PoseDiscriminator', num_blocks=3),
    student=dict(num_blocks=4, activation='leaky_relu'),
    projection=dict(type='Orthographic'),
    gan_loss=dict(type='BCEGANLoss', flip_prob=0.05),
    test_network='auto',  # the student once distilled, else the lifter
    seed=0,
)

train_dataloader = dict(
    drop_last=True,  # BatchNorm needs > 1 pose; equal batches per step
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='TIPSyPose2DDataset',
        codec={{_base_.codec}},
        data_root='data/h36m/',
        data_prefix=dict(img='images/'),
    ))

# No validation while training: S9/S11 carry 3D labels, which must never
# choose the epoch (calibration_notes.md); tools/test.py evaluates the result.
val_cfg = None
val_dataloader = None
val_evaluator = None
# Stage lengths: adversarial_epochs and distillation_epochs, set by leaves.
train_cfg = dict(_delete_=True, type='TIPSyTrainLoop')

# Adam at 2e-4 (paper §3.6). The paper gives no betas: PyTorch's defaults.
optim_wrapper = dict(
    constructor='TIPSyOptimWrapperConstructor',
    generator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=2e-4)),
    discriminator=dict(type='OptimWrapper',
                       optimizer=dict(type='Adam', lr=2e-4)),
    student=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=2e-4)),
)

# One DDP per network (generator, discriminator and student step separately).
# device_ids=None: each DDP uses its module's device (also works on CPU).
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel',
                         device_ids=None, broadcast_buffers=False,
                         find_unused_parameters=False)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    # every epoch: resume points, and the NaN guard names the latest one
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3,
                    save_last=True),
)
custom_hooks = [
    dict(type='SyncBuffersHook'),  # BN statistics across processes
    dict(type='NonFiniteLossHook'),
]
# Model initialisation, data order and TIPSyGAN's step seed.
randomness = dict(seed=0)
