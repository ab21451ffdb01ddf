# The solo generator under tipsy_h36m_cpu_ln.py's recipe (LayerNorm, bone
# prior, sign priors at weight 3, 8 epochs, the stopping rule's pick), no
# student.
#   python tools/train.py configs/history/solo_h36m_cpu_ln.py
#   python tools/analysis/fast_eval.py configs/history/solo_h36m_cpu_ln.py work_dirs/solo_h36m_cpu_ln/picked_lifter.pth
_base_ = ['../_base_/recipe_cpu_ln.py']

model = dict(lifter=dict(type='SoloLifter'), student=None)
train_cfg = dict(distillation_epochs=0)
