# Research (S8 protocol): tipsy_h36m_cpu_val.py with the paper's authors'
# discriminator recipe (Aswarin/2D-to-3D-Pose): dropout 0.5, real label 0.8,
# 10 % label flips, azimuth within ±8π/9, a random left-right mirror of half
# the batch, and D at the generators' Adam lr 2e-4.
_base_ = ['../_base_/recipe_val_cpu.py']

model = dict(
    discriminator=dict(dropout=0.5),
    gan_loss=dict(real_label=0.8, flip_prob=0.1),
    adversarial=dict(max_azimuth=8 * 3.141592653589793 / 9, mirror_prob=0.5))
optim_wrapper = dict(discriminator=dict(optimizer=dict(lr=2e-4)))
