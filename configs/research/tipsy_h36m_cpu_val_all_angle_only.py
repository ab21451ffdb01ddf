# Eq. 15's all-angle consistency in place of the 90° terms (projects/
# tipsy_gan/docs/research.md): tipsy_h36m_cpu_val_all_angle.py with w3 = 0;
# scored on S8.
#   python tools/train.py configs/research/tipsy_h36m_cpu_val_all_angle_only.py --cfg-options randomness.seed=0 model.seed=0
#   python tools/analysis/fast_eval.py configs/research/tipsy_h36m_cpu_val_all_angle_only.py work_dirs/tipsy_h36m_cpu_val_all_angle_only/epoch_3.pth
_base_ = ['../_base_/recipe_val_cpu.py']

model = dict(lifter=dict(norm='layer'),
             terms=[dict(type='AllAngleConsistency', weight=3.0)],
             adversarial=dict(w_ninety=0.0))
