# Research (S8 protocol): issue 18 item 3, a fourth depth-sign prior. The
# LayerNorm recipe (tipsy_h36m_cpu_val_bone_prior_signs3_layernorm.py) plus
# HandsForwardPrior (core/priors.py: a hand is not more than 20 degrees
# behind its shoulder), at the sign priors' weight 3. Leg + torso seed 3 of
# the 8-epoch study fails in its arms: on S8 its wrists are in front of the
# shoulders in 42 % of poses (the labels: 85-90 %), with 216-226 mm wrist
# errors, most in Greeting, Photo and Purchases.
#   python tools/analysis/stability_study.py configs/research/tipsy_h36m_cpu_val_ln_hands.py --work-dir work_dirs/study/ln_hands --seeds 3 4 --kinds parts --adversarial-epochs 8 --interval-epochs 0.25 --range 7 8 --fixed-epoch 8 --rule min_bone_spread --jobs 2
_base_ = ['../_base_/recipe_val_ln.py']

model = dict(priors=[dict(type='KneeBendPrior', weight=3.0),
                     dict(type='FacingPrior', weight=3.0),
                     dict(type='HandsForwardPrior', weight=3.0),
                     dict(type='BoneProportionPrior', weight=1.0)])
