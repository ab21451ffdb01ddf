# Research (S8 protocol): issue 18's distillation length. The signs3 +
# LayerNorm recipe (tipsy_h36m_cpu_val_bone_prior_signs3_layernorm.py) with
# its student: 4 adversarial epochs, the teacher the label-free rule's pick
# (min_bone_spread, a snapshot every quarter epoch, as tipsy_h36m_cpu_bone.py
# picks it), then 6 distillation epochs with a checkpoint each. Each
# distillation epoch's student is scored on S8 with fast_eval:
#   python tools/train.py configs/research/tipsy_h36m_cpu_val_signs3_layernorm_distill.py --work-dir work_dirs/distill/seed0 --cfg-options randomness.seed=0 model.seed=0
#   python tools/analysis/fast_eval.py configs/research/tipsy_h36m_cpu_val_signs3_layernorm_distill.py work_dirs/distill/seed0/epoch_N.pth
_base_ = ['../_base_/recipe_val_ln.py']

train_cfg = dict(adversarial_epochs=4, distillation_epochs=6)
default_hooks = dict(checkpoint=dict(max_keep_ckpts=6))
# A point every quarter epoch (190 iterations of S1/S5/S6/S7's 759). The
# curve's S8 columns describe the run; the rule reads none of them.
custom_hooks = [
    dict(type='SyncBuffersHook'),
    dict(type='NonFiniteLossHook'),
    dict(type='TIPSyCurveHook', interval_epochs=0.25,
         select='min_bone_spread'),
]
