# The CPU recipe (configs/tipsy_h36m_cpu.py) under the validation protocol
# (configs/_base_/h36m_validation_protocol.py): trained on the 2D of S1, S5,
# S6, S7; tools/test.py and tools/analysis/fast_eval.py score S8. For
# choosing recipe options, stopping rules and budgets; the chosen recipe is
# then trained on all five subjects (tipsy_h36m_cpu.py) and tested on S9/S11.
#   python tools/train.py configs/research/tipsy_h36m_cpu_val.py
#   python tools/analysis/fast_eval.py configs/research/tipsy_h36m_cpu_val.py work_dirs/tipsy_h36m_cpu_val/epoch_3.pth
#   python tools/test.py configs/research/tipsy_h36m_cpu_val.py work_dirs/tipsy_h36m_cpu_val/epoch_3.pth
_base_ = ['../_base_/recipe_val_cpu.py']
