# The floor: (x, y, 0) from the normalised ground-truth 2D pose. No weights.
#   python tools/test.py configs/reference/zero_depth_h36m.py none
_base_ = ['../_base_/runtime.py', '../_base_/h36m_tipsy_data.py']
model = dict(type='ZeroDepthLifter')
# Weight-free: nothing to train.
train_cfg = None
