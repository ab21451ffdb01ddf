# Research (S8 protocol): the bone-prior recipe
# (tipsy_h36m_cpu_val_bone_prior.py) with the adversarial learning rates
# annealed to 0 on a cosine over 4 epochs (_base_/cosine_adversarial_lr.py).
_base_ = ['../_base_/recipe_val_bone.py',
          '../_base_/cosine_adversarial_lr.py']
