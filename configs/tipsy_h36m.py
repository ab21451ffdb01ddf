# TIPSy at paper scale (§3.6): leg + torso generators trained adversarially,
# then distilled into one full-pose student (§3.5). Width 1024, batch 8192,
# fps50 training data, Adam 2e-4, paper loss weights. Meant for a GPU.
#   python tools/train.py configs/tipsy_h36m.py
#   python tools/test.py configs/tipsy_h36m.py work_dirs/tipsy_h36m/epoch_700.pth
#   python tools/export_student.py work_dirs/tipsy_h36m/epoch_700.pth tipsy_student.pth
#
# Epochs: the paper trains 800 adversarial epochs and (§4.3, fig. 3) finds
# the leg+torso error lowest and flattest over epochs 300-600, with the
# discriminator taking over from about epoch 500. Its realistic, label-free
# choices are the last epoch or a weight average over a range: we train 600
# adversarial epochs and distil from the mean lifter over epochs 300..600.
# The paper gives no distillation length; 100 epochs of MSE regression (eq. 9)
# is ample for a 4-block MLP (an assumption, not the paper's number).
_base_ = ['./_base_/tipsy_gan_train.py']

width = 1024
adversarial_epochs = 600
distillation_epochs = 100

model = dict(
    type='TIPSyGAN',
    lifter=dict(type='PartSplitLifter', width=width, num_blocks=4,
                activation='leaky_relu'),
    discriminator=dict(width=width, num_blocks=3),
    student=dict(width=width, num_blocks=4, activation='leaky_relu'),
    adversarial=dict(),  # AdversarialConfig defaults: the paper's recipe
    adversarial_epochs=adversarial_epochs,
    distillation_epochs=distillation_epochs,
    test_network='auto',  # the student once distilled
    seed=0,
)
train_cfg = dict(max_epochs=adversarial_epochs + distillation_epochs)
custom_hooks = [
    dict(type='SyncBuffersHook'),  # BN statistics across processes
    dict(type='TIPSyStageHook',
         stopping=dict(type='average', begin=300, end=600)),
    dict(type='NonFiniteLossHook'),
]
