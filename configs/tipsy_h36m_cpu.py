# TIPSy at CPU scale: the recipe that learns on 2 cores in well under an hour
# (training, distillation and test). Results: projects/tipsy_gan/README.md.
#   python tools/train.py configs/tipsy_h36m_cpu.py
#   python tools/test.py configs/tipsy_h36m_cpu.py work_dirs/tipsy_h36m_cpu/epoch_3.pth
#   python tools/export_student.py work_dirs/tipsy_h36m_cpu/epoch_3.pth tipsy_student_cpu.pth
#
# Scale: width 256 and batch 256 learned fastest per CPU-second in the
# calibration; fps10 is the paper's test rate (942 iterations an epoch).
# Changes to the paper's recipe (tipsy_h36m.py), each one option in
# _base_/recipe_cpu.py:
# - perspective P with the root at depth 5 (max-normalised units) and
#   renormalised views: under orthographic P the losses are exactly symmetric
#   in the depth sign, and the sign was a coin flip per run;
# - label-free anti-flip priors: knees bend forward; the torso's shoulders
#   face the way the legs' hips do;
# - discriminator Adam lr 5e-5 (generators keep 2e-4): at 2e-4 the
#   discriminator won within about 3 epochs and the lifter collapsed;
# - 2 adversarial epochs, the teacher the mean lifter over epoch 2 (a
#   snapshot every 5 iterations from its 5th), stopping before the collapse
#   seen after about 2.8 epochs; no 3D label chooses anything;
# - distillation: 1 epoch, Adam 1e-3.
# Speed, not method (issue 19, projects/tipsy_gan/docs/benchmark.md): the
# networks in bf16 autocast where the CPU multiplies bf16 in hardware (AMX
# or AVX512-BF16; float32 elsewhere: network_dtype='auto', named in the log
# and in each checkpoint's meta) and fused Adam. Both held S8 accuracy (3
# seeds of each kind). The finals published before this default trained in
# float32 with unfused Adam: projects/tipsy_gan/docs/results.md gives the
# --cfg-options that rerun them exactly.
_base_ = ['./_base_/recipe_cpu.py']
