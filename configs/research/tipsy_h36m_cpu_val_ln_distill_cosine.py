# Research (S8 protocol): issue 18 item 5, the student's learning rate
# annealed to 0 on a cosine over the distillation stage (5 epochs, as the
# recipe's), instead of constant. The distillation stage alone from a given
# teacher, as tipsy_h36m_cpu_val_ln_distill_only.py:
#   python tools/train.py configs/research/tipsy_h36m_cpu_val_ln_distill_cosine.py --work-dir work_dirs/distill_only/cos5_seedN --cfg-options train_cfg.teacher=work_dirs/study/ln_8ep/parts_seedN/picked_lifter.pth randomness.seed=N model.seed=N
_base_ = ['../_base_/recipe_val_ln.py']

train_cfg = dict(adversarial_epochs=0, distillation_epochs=5, teacher=None)
# The teacher is given, so no EMAHook or rule picks one.
custom_hooks = [dict(type='SyncBuffersHook'), dict(type='NonFiniteLossHook')]

_constant = [dict(type='ConstantLR', factor=1.0, by_epoch=True)]
param_scheduler = dict(
    generator=_constant, discriminator=_constant,
    student=[dict(type='CosineAnnealingLR', T_max=5, eta_min=0.0, begin=0,
                  end=5, by_epoch=True, convert_to_iter_based=True)])
