# Research (S8 protocol): the bone-prior recipe
# (tipsy_h36m_cpu_val_bone_prior.py) with the paper's authors' discriminator
# recipe on top (tipsy_h36m_cpu_val_authors_d.py's options).
_base_ = ['../_base_/recipe_val_bone.py']

model = dict(
    discriminator=dict(dropout=0.5),
    gan_loss=dict(real_label=0.8, flip_prob=0.1),
    adversarial=dict(max_azimuth=8 * 3.141592653589793 / 9, mirror_prob=0.5))
optim_wrapper = dict(discriminator=dict(optimizer=dict(lr=2e-4)))
