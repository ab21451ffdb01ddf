# Eq. 15's all-angle consistency beside the 90° terms (projects/tipsy_gan/
# docs/research.md): the LayerNorm control (tipsy_h36m_cpu_val_layernorm.py)
# plus AllAngleConsistency at the 90° terms' weight w3 = 3; scored on S8.
#   python tools/train.py configs/research/tipsy_h36m_cpu_val_all_angle.py --cfg-options randomness.seed=0 model.seed=0
#   python tools/analysis/fast_eval.py configs/research/tipsy_h36m_cpu_val_all_angle.py work_dirs/tipsy_h36m_cpu_val_all_angle/epoch_3.pth
_base_ = ['../_base_/recipe_val_cpu.py']

model = dict(lifter=dict(norm='layer'),
             terms=[dict(type='AllAngleConsistency', weight=3.0)])
