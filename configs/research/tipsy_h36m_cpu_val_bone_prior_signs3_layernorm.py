# Research (S8 protocol): the signs3 recipe (tipsy_h36m_cpu_val_bone_prior_
# signs3.py: bone prior, depth-sign priors at weight 3) with LayerNorm
# generators (issue 18's lead; the student keeps BatchNorm). Confirmed on
# seeds 0, 1, 2 of both kinds (projects/tipsy_gan/docs/stability.md):
#   python tools/analysis/stability_study.py configs/research/tipsy_h36m_cpu_val_bone_prior_signs3_layernorm.py --work-dir work_dirs/study/signs3_layernorm --seeds 0 1 2 --kinds parts solo --adversarial-epochs 4 --interval-epochs 0.25 --range 3 4 --fixed-epoch 4 --rule min_bone_spread --jobs 2
_base_ = ['../_base_/recipe_val_ln.py']
