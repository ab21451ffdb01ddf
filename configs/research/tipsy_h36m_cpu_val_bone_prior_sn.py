# Research (S8 protocol): the bone-prior recipe
# (tipsy_h36m_cpu_val_bone_prior.py) with spectral normalisation on every
# linear layer of the discriminator (Miyato et al. 2018; core/networks.py).
#   python tools/analysis/stability_study.py configs/research/tipsy_h36m_cpu_val_bone_prior_sn.py --work-dir work_dirs/study/bone_prior_sn --seeds 0 --kinds parts --adversarial-epochs 4 --interval-epochs 0.25
_base_ = ['../_base_/recipe_val_bone.py']

model = dict(discriminator=dict(spectral_norm=True))
