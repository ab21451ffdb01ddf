# Research (S8 protocol): tipsy_h36m_cpu_val.py with the adversarial learning
# rates annealed to 0 on a cosine over 4 epochs (_base_/cosine_adversarial_lr.py).
# A budget lever: the rates fall as the curve reaches its plateau.
_base_ = ['../_base_/recipe_val_cpu.py',
          '../_base_/cosine_adversarial_lr.py']
