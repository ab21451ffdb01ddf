# Research (S8 protocol), issue 18 item 3: the LayerNorm recipe
# (tipsy_h36m_cpu_val_bone_prior_signs3_layernorm.py) plus Kudo et al.'s
# nose-forward prior (NoseForwardPrior, core/priors.py), weight 1, a third
# depth-sign prior that the torso takes from its own 3D. Screen on 2 seeds:
#   python tools/analysis/stability_study.py configs/research/tipsy_h36m_cpu_val_ln_nose.py --work-dir work_dirs/study/ln_nose --seeds 0 1 --kinds parts solo --adversarial-epochs 4 --interval-epochs 0.25 --range 3 4 --fixed-epoch 4 --rule min_bone_spread --jobs 2
# or one run: python tools/train.py configs/research/tipsy_h36m_cpu_val_ln_nose.py
_base_ = ['../_base_/recipe_val_ln.py']

model = dict(priors=[dict(type='KneeBendPrior', weight=3.0),
                     dict(type='FacingPrior', weight=3.0),
                     dict(type='BoneProportionPrior', weight=1.0),
                     dict(type='NoseForwardPrior', weight=1.0)])
