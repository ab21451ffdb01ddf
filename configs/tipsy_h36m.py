# TIPSy at paper scale (§3.6): leg + torso generators trained adversarially,
# then distilled into one full-pose student (§3.5). Width 1024, batch 8192,
# fps50 training data, Adam 2e-4, the paper's losses. Meant for a GPU.
#   python tools/train.py configs/tipsy_h36m.py
#   python tools/test.py configs/tipsy_h36m.py work_dirs/tipsy_h36m/epoch_700.pth
#   python tools/export_student.py work_dirs/tipsy_h36m/epoch_700.pth tipsy_student.pth
#
# Epochs: the paper trains 800 adversarial epochs and (§4.3, fig. 3) finds
# the leg+torso error lowest and flattest over epochs 300-600, with the
# discriminator taking over from about epoch 500. Its realistic, label-free
# choices are the last epoch or a weight average over a range: we train 600
# adversarial epochs and distil from the lifter's stochastic weight average
# over epochs 300..600 (every iteration). The paper gives no distillation
# length; 100 epochs of MSE regression (eq. 9) is our assumption.
_base_ = ['./_base_/recipe_paper.py']
