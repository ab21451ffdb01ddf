# Research (S8 protocol): tipsy_h36m_cpu_val.py with an R1 gradient penalty
# on the discriminator's real inputs (γ = 1; core/adversarial_step.r1_penalty).
_base_ = ['../_base_/recipe_val_cpu.py']

model = dict(adversarial=dict(r1_weight=1.0))
