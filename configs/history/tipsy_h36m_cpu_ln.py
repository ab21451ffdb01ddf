# TIPSy at CPU scale, issue 18's recipe (chosen on the validation protocol,
# projects/tipsy_gan/docs/stability.md): the bone-prior recipe
# (tipsy_h36m_cpu_bone.py) with LayerNorm in the two generators (the student
# keeps BatchNorm) and the depth-sign priors (knee bend, facing) at weight 3.
# 8 adversarial epochs (chosen on S8 against 4: docs/stability.md's research
# table); the teacher the label-free rule's pick
# (min_bone_spread, a snapshot every quarter epoch); then 5 distillation
# epochs (chosen on S8: 1 epoch left the student 6.4 mm behind its teacher,
# 5 epochs 2.1 mm; configs/research/tipsy_h36m_cpu_val_signs3_layernorm_
# distill.py). Of several seeds, the published student is the one whose
# teacher's pick has the smallest heldout_bone_ratio_spread (the same
# label-free signal, compared across runs).
#   python tools/train.py configs/history/tipsy_h36m_cpu_ln.py
#   python tools/analysis/fast_eval.py configs/history/tipsy_h36m_cpu_ln.py work_dirs/tipsy_h36m_cpu_ln/epoch_13.pth
#   python tools/export_student.py work_dirs/tipsy_h36m_cpu_ln/epoch_13.pth tipsy_student_cpu_ln.pth
_base_ = ['../_base_/recipe_cpu_ln.py']
