# The control arm of eq. 15's accuracy study (projects/tipsy_gan/docs/
# research.md): research/tipsy_h36m_cpu_val.py (the CPU recipe under the
# validation protocol, scored on S8) with LayerNorm generators, the norm the
# all-angle term is meant with; the student keeps BatchNorm.
#   python tools/train.py configs/research/tipsy_h36m_cpu_val_layernorm.py --cfg-options randomness.seed=0 model.seed=0
#   python tools/analysis/fast_eval.py configs/research/tipsy_h36m_cpu_val_layernorm.py work_dirs/tipsy_h36m_cpu_val_layernorm/epoch_3.pth
_base_ = ['../_base_/recipe_val_cpu.py']

model = dict(lifter=dict(norm='layer'))
