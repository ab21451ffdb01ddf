# Research (S8 protocol), issue 18 item 4: the LayerNorm recipe
# (tipsy_h36m_cpu_val_bone_prior_signs3_layernorm.py) with 4 random rotations
# per pose and step (AdversarialConfig.num_rotations; ITES draws 4): D sees
# 4B fakes, the reprojection term averages 4 cycles. Screen on 2 seeds:
#   python tools/analysis/stability_study.py configs/research/tipsy_h36m_cpu_val_ln_rot4.py --work-dir work_dirs/study/ln_rot4 --seeds 0 1 --kinds parts --adversarial-epochs 4 --interval-epochs 0.25 --range 3 4 --fixed-epoch 4 --rule min_bone_spread
_base_ = ['../_base_/recipe_val_ln.py']

model = dict(adversarial=dict(num_rotations=4))
