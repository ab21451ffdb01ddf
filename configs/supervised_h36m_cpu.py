# Supervised reference, the upper bound of the results table: the same
# residual network (Linear-BN-LeakyReLU stem, 4 residual blocks; TIPSy's
# lifter without its depth layer) trained with 3D labels on the same 2D
# inputs (TIPSy's normalisation, ground-truth 2D, fps10 S1/5/6/7/8), through
# MMPose's own PoseLifter, TemporalRegressionHead (1x1 conv to 16x3) and
# MSELoss on root-relative 3D in metres. Predictions decode to metres, so
# unaligned MPJPE is meaningful here too.
#   python tools/train.py configs/supervised_h36m_cpu.py
#   python tools/test.py configs/supervised_h36m_cpu.py work_dirs/supervised_h36m_cpu/epoch_5.pth
# Width and batch as tipsy_h36m_cpu.py (the same network), 5 epochs through
# MMPose's per-pose pipeline; Adam at 1e-3 as MMPose's SimpleBaseline3D
# config (image-pose-lift_tcn).
_base_ = ['./_base_/runtime.py', './_base_/h36m_tipsy_data.py']

width = 256
train_fps = 'fps10'
model = dict(
    type='PoseLifter',
    backbone=dict(type='TIPSyResidualBackbone', width=width, num_blocks=4,
                  activation='leaky_relu'),
    head=dict(type='TemporalRegressionHead', in_channels=width,
              num_joints=16,
              loss=dict(type='MSELoss', use_target_weight=True),
              decoder={{_base_.codec}}),
)
train_dataloader = dict(
    batch_size=256,
    num_workers=0,
    persistent_workers=False,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='Human36mDataset',
        ann_file=f'annotation_body3d/{train_fps}/h36m_train.npz',
        seq_len=1,
        causal=True,
        keypoint_2d_src='gt',
        data_root='data/h36m/',
        data_prefix=dict(img='images/'),
        pipeline={{_base_.pipeline}},
    ))
train_cfg = dict(by_epoch=True, max_epochs=5, val_interval=1)
# No validation while training (tools/test.py evaluates), as for TIPSy.
val_cfg = None
val_dataloader = None
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3,
                    save_last=True))
# Full metric set: the supervised lifter predicts metres.
test_evaluator = [
    dict(type='TIPSyPoseErrorMetric', unit_to_mm=1000.0),
    dict(type='PCK3DMetric', unit_to_mm=1000.0),
]
val_evaluator = None
randomness = dict(seed=0)
