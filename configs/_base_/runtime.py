_base_ = ['mmpose::_base_/default_runtime.py']
# No images: the 2D-pose visualisation hook has nothing to draw for lifters.
default_hooks = dict(visualization=dict(type='PoseVisualizationHook', enable=False))
test_cfg = dict()
val_cfg = dict()
