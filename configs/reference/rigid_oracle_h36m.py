# An evaluation check, not a method: the ground truth under a random rotation,
# scale and translation. PA-MPJPE must be ~0.
#   python tools/test.py configs/reference/rigid_oracle_h36m.py none
_base_ = ['../_base_/runtime.py', '../_base_/h36m_tipsy_data.py']
model = dict(type='RigidOracleLifter', seed=0)
# Weight-free: nothing to train.
train_cfg = None
