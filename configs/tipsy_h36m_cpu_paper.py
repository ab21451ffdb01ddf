# TIPSy with the paper's losses and optimiser (tipsy_h36m.py) at CPU scale:
# width 256, batch 256, fps10 (942 iterations an epoch), 4 adversarial epochs
# with the teacher the mean of the lifters after epochs 3 and 4, then 1
# distillation epoch. The paper-recipe baseline of the README; under the
# paper's orthographic P the depth sign is a coin flip per run.
#   python tools/train.py configs/tipsy_h36m_cpu_paper.py
#   python tools/test.py configs/tipsy_h36m_cpu_paper.py work_dirs/tipsy_h36m_cpu_paper/epoch_5.pth
_base_ = ['./tipsy_h36m.py']

width = 256
model = dict(lifter=dict(width=width), discriminator=dict(width=width),
             student=dict(width=width))
train_dataloader = dict(
    batch_size=256,
    num_workers=0,  # two cores: the step needs them both
    persistent_workers=False,
    dataset=dict(ann_file='annotation_body3d/fps10/h36m_train.npz'))
train_cfg = dict(adversarial_epochs=4, distillation_epochs=1)
custom_hooks = [
    dict(type='SyncBuffersHook'),
    # Snapshots at the last iterations of epochs 3 and 4 (942 an epoch).
    dict(type='EMAHook', ema_type='StochasticWeightAverage',
         begin_iter=3 * 942, interval=942, update_buffers=True),
    dict(type='NonFiniteLossHook'),
]
