# TIPSy-GAN training on converted Human3.6M (S1, S5, S6, S7, S8), 2D only.
# The train loader, loop, optimisers and hooks shared by every TIPSy-GAN
# config; method configs set `model`, the stage lengths and the scale.
#
# Train data: TIPSyPose2DDataset, a Human36mDataset (same files, same frame
# selection, ground-truth 2D) that normalises every pose once with the codec
# and yields (B, 16, 2) batches. MMPose's per-pose pipeline (GenerateTarget +
# PackPoseInputs) ran at 1.2-1.6k poses/s on one core here, slower than the
# width-256 step (~0.9k poses/s) and ~100x slower than this path (>100k/s).
# It never loads a 3D field, so training cannot read one. The MMPose
# pipeline path also works (TIPSyGAN reads only the 2D inputs):
#   train_dataloader = dict(collate_fn=dict(type='pseudo_collate'),
#       dataset=dict(type='Human36mDataset', seq_len=1, causal=True,
#                    keypoint_2d_src='gt', pipeline={{_base_.pipeline}}))
_base_ = ['./runtime.py', './h36m_tipsy_data.py']

data_root = 'data/h36m/'
train_fps = 'fps50'
train_dataloader = dict(
    batch_size=8192,
    num_workers=2,
    persistent_workers=True,
    drop_last=True,  # BatchNorm needs > 1 pose; equal batches per step
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='TIPSyPose2DDataset',
        codec={{_base_.codec}},
        ann_file=f'annotation_body3d/{train_fps}/h36m_train.npz',
        data_root=data_root,
        data_prefix=dict(img='images/'),
    ))

# No validation while training: S9/S11 carry 3D labels, which must never
# choose the epoch (calibration_notes.md), and tools/test.py evaluates the
# result. To log test-set curves for inspection only, set val_cfg=dict()
# and val_dataloader/val_evaluator to the test ones, and
# train_cfg.val_interval.
val_cfg = None
val_dataloader = None
val_evaluator = None
train_cfg = dict(by_epoch=True, max_epochs=1, val_interval=1)

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
    dict(type='TIPSyStageHook', stopping=dict(type='last')),
    dict(type='NonFiniteLossHook'),
]
# Model initialisation, data order and TIPSyGAN's step seed.
randomness = dict(seed=0)
