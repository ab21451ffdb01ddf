# TIPSy at CPU scale, issue 18's final recipe (chosen on the validation
# protocol, projects/tipsy_gan/docs/stability.md): the 8-epoch LayerNorm
# recipe (history/tipsy_h36m_cpu_ln.py) plus
# - a fourth depth-sign prior, hands in front of the body (HandsForwardPrior,
#   weight 3 as the other sign priors): the split's generators no longer put
#   the arms behind the back;
# - the student's learning rate annealed to 0 on a cosine over its
#   distillation epochs (configs/research/tipsy_h36m_cpu_val_ln_distill_
#   cosine.py); the generators' and the discriminator's stay constant.
# Of several seeds, the published student is the one whose teacher's pick
# has the smallest heldout_bone_ratio_spread (label-free).
#   python tools/train.py configs/tipsy_h36m_cpu_hands.py
#   python tools/analysis/fast_eval.py configs/tipsy_h36m_cpu_hands.py work_dirs/tipsy_h36m_cpu_hands/epoch_18.pth
#   python tools/export_student.py work_dirs/tipsy_h36m_cpu_hands/epoch_18.pth tipsy_student_cpu_hands.pth
_base_ = ['./_base_/recipe_cpu_hands.py']
