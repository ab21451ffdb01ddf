# TIPSy at CPU scale with ElePose's bone-length prior (issue 11's recipe,
# chosen on the validation protocol, projects/tipsy_gan/docs/stability.md):
# tipsy_h36m_cpu.py plus BoneProportionPrior (weight 1), 4 adversarial
# epochs, and a label-free stopping rule in place of weight averaging: the
# teacher is the lifter snapshot (one every quarter epoch) whose predicted
# bone proportions vary least over S8's 2D (the rule 'min_bone_spread',
# research/stopping.py; no 3D label is read). Then 1 epoch of distillation.
#   python tools/train.py configs/history/tipsy_h36m_cpu_bone.py
#   python tools/test.py configs/history/tipsy_h36m_cpu_bone.py work_dirs/tipsy_h36m_cpu_bone/epoch_5.pth
#   python tools/export_student.py work_dirs/tipsy_h36m_cpu_bone/epoch_5.pth tipsy_student_cpu_bone.pth
_base_ = ['../_base_/recipe_cpu_bone.py']
