# Research (S8 protocol): the bone-prior recipe
# (tipsy_h36m_cpu_val_bone_prior.py) with an R1 gradient penalty on the
# discriminator's real inputs (gamma = 1; core/adversarial_step.r1_penalty).
#   python tools/analysis/stability_study.py configs/research/tipsy_h36m_cpu_val_bone_prior_r1.py --work-dir work_dirs/study/bone_prior_r1 --seeds 0 --kinds parts --adversarial-epochs 4 --interval-epochs 0.25
_base_ = ['../_base_/recipe_val_bone.py']

model = dict(adversarial=dict(r1_weight=1.0))
