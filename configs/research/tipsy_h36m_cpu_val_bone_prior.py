# Research (S8 protocol): tipsy_h36m_cpu_val.py plus ElePose's bone-length
# prior (BoneProportionPrior: each bone's length over the mean bone length
# pulled to an average body's, core/priors.py), weight 1. Label-free, but the
# converted data has one skeleton for every subject, so it is unusually exact
# here (projects/tipsy_gan/docs/research.md).
#   python tools/analysis/stability_study.py configs/research/tipsy_h36m_cpu_val_bone_prior.py --work-dir work_dirs/study/bone_prior --seeds 0 --kinds parts --adversarial-epochs 6
_base_ = ['../_base_/recipe_val_bone.py']
