# Research (S8 protocol): the bone-prior recipe
# (tipsy_h36m_cpu_val_bone_prior.py) with the two depth-sign priors at three
# times their weight (KneeBendPrior and FacingPrior, core/priors.py): bone
# lengths cannot see a depth flip, these two can; screened first on the split
# seeds that settled mirrored in the 5 + 5-seed study (1 and 4), then 0 and 2.
#   python tools/analysis/stability_study.py configs/research/tipsy_h36m_cpu_val_bone_prior_signs3.py --work-dir work_dirs/study/bone_prior_signs3 --seeds 0 1 2 4 --kinds parts --adversarial-epochs 4 --interval-epochs 0.25 --range 3 4 --fixed-epoch 4 --rule min_bone_spread --jobs 2
_base_ = ['../_base_/recipe_val_bone.py']

model = dict(priors=[dict(type='KneeBendPrior', weight=3.0),
                     dict(type='FacingPrior', weight=3.0),
                     dict(type='BoneProportionPrior', weight=1.0)])
