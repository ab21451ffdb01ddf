# Research (S8 protocol): tipsy_h36m_cpu_val_bone_prior.py with the bone
# prior at weight 10.
_base_ = ['../_base_/recipe_val_bone.py']

model = dict(priors=[dict(type='KneeBendPrior', weight=1.0),
                     dict(type='FacingPrior', weight=1.0),
                     dict(type='BoneProportionPrior', weight=10.0)])
