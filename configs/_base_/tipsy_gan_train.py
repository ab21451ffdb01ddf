# TIPSy-GAN training with no recipe's options: the pieces every recipe
# inherits (runtime.py, h36m_tipsy_data.py, tipsy_gan.py) and the lines each
# recipe in _base_/recipe_*.py writes itself (no validation while training,
# the TIPSy loop, a checkpoint every epoch, the hooks). No config in this
# tree inherits it (a recipe inherits only pieces, so that no config is more
# than 3 levels deep); a config of your own may, and then sets the width, its
# options, the scale (batch, frame rate), the stage lengths (train_cfg) and
# the weight averaging (an EMAHook in custom_hooks).
_base_ = ['./runtime.py', './h36m_tipsy_data.py', './tipsy_gan.py']

# No validation while training: S9/S11 carry 3D labels, which must never
# choose the epoch (calibration_notes.md); tools/test.py evaluates the result.
val_cfg = None
val_dataloader = None
val_evaluator = None
# Stage lengths: adversarial_epochs and distillation_epochs, set by recipes.
train_cfg = dict(_delete_=True, type='TIPSyTrainLoop')
default_hooks = dict(
    # every epoch: resume points, and the NaN guard names the latest one
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3,
                    save_last=True))
custom_hooks = [
    dict(type='SyncBuffersHook'),  # BN statistics across processes
    dict(type='NonFiniteLossHook'),
]
