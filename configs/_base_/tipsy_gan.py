# TIPSy-GAN at the paper's settings, the piece every TIPSy-GAN recipe
# (_base_/recipe_*.py) inherits beside runtime.py and h36m_tipsy_data.py:
# the networks' shapes (appendix fig. 4), the paper's P and GAN loss, the 2D
# train loader on converted Human3.6M (S1, S5, S6, S7, S8), the optimisers,
# the DDP wrapper and the seed. A recipe sets the width, its options, the
# scale (batch, frame rate), the stage lengths (train_cfg), the hooks and the
# weight averaging (an EMAHook in custom_hooks); mmengine refuses a key that
# two bases both define, so the runtime's keys (train_cfg, val_cfg,
# default_hooks, custom_hooks) and the data's (val_dataloader, val_evaluator)
# are set by each recipe, not here.
#
# Train data: TIPSyPose2DDataset, a Human36mDataset (same files, same frame
# selection, ground-truth 2D) that normalises every pose once with the codec
# (h36m_tipsy_data.py's; a test checks they are the same) and yields
# (B, 16, 2) batches; it never loads a 3D field, so training cannot read one.
# MMPose's per-pose pipeline also works (TIPSyGAN reads only the 2D inputs),
# about 100x slower:
#   train_dataloader = dict(collate_fn=dict(type='pseudo_collate'),
#       dataset=dict(type='Human36mDataset', seq_len=1, causal=True,
#                    keypoint_2d_src='gt', pipeline={{_base_.pipeline}}))
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
        codec=dict(type='TIPSyLiftingCodec', num_keypoints=17, root_index=0,
                   remove_root=True),
        data_root='data/h36m/',
        data_prefix=dict(img='images/'),
    ))

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

# Model initialisation, data order and TIPSyGAN's step seed.
randomness = dict(seed=0)
