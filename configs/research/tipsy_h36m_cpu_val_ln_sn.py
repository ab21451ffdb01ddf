# Research (S8 protocol), issue 18 item 6: the LayerNorm recipe
# (tipsy_h36m_cpu_val_bone_prior_signs3_layernorm.py) with spectral
# normalisation on every linear layer of the discriminator, re-screened on
# the new recipe (on the bone-prior recipe it gave a faster start, then
# levelled 2 mm above). Screen on 2 seeds:
#   python tools/analysis/stability_study.py configs/research/tipsy_h36m_cpu_val_ln_sn.py --work-dir work_dirs/study/ln_sn --seeds 0 1 --kinds parts --adversarial-epochs 4 --interval-epochs 0.25 --range 3 4 --fixed-epoch 4 --rule min_bone_spread
_base_ = ['../_base_/recipe_val_ln.py']

model = dict(discriminator=dict(spectral_norm=True))
