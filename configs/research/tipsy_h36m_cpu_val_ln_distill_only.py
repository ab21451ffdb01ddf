# Research (S8 protocol): issue 18 item 5, the student's recipe on teachers
# already trained. The LayerNorm recipe's distillation stage alone (5
# epochs, as configs/history/tipsy_h36m_cpu_ln.py) from a picked lifter given on the
# command line: the rule picks of the 8-epoch leg + torso study
# (work_dirs/study/ln_8ep, whose summary writes each run's
# picked_lifter.pth). The student is scored on S8 with fast_eval:
#   python tools/train.py configs/research/tipsy_h36m_cpu_val_ln_distill_only.py --work-dir work_dirs/distill_only/base_seedN --cfg-options train_cfg.teacher=work_dirs/study/ln_8ep/parts_seedN/picked_lifter.pth randomness.seed=N model.seed=N
#   python tools/analysis/fast_eval.py configs/research/tipsy_h36m_cpu_val_ln_distill_only.py work_dirs/distill_only/base_seedN/epoch_5.pth --split val
# Variants: model.student.norm=layer; model.distillation.rotation_weight=1.0.
_base_ = ['../_base_/recipe_val_ln.py']

train_cfg = dict(adversarial_epochs=0, distillation_epochs=5, teacher=None)
# The teacher is given, so no EMAHook or rule picks one.
custom_hooks = [dict(type='SyncBuffersHook'), dict(type='NonFiniteLossHook')]
