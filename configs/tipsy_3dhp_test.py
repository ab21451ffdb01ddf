# Cross-dataset test (the TIPSy paper's Table 2): a lifter trained on
# Human3.6M, tested on the MPI-INF-3DHP test set. By default the published
# CPU-scale student:
#   python tools/test.py configs/tipsy_3dhp_test.py \
#       projects/tipsy_gan/checkpoints/tipsy_h36m_cpu_student.pth \
#       --cfg-options test_dataloader.dataset.ann_file=/path/to/mpi_inf_3dhp_test_set
# Another lifter: a config of three lines, its config as the first _base_
# and the two test lines below
# (configs/_base_/mpi_inf_3dhp_test_data.py explains; any config whose inputs
# are h36m_tipsy_data.py's works: *_lifter.py, tipsy_h36m_cpu.py training
# checkpoints, supervised_h36m_cpu.py). Metrics and conventions:
# projects/tipsy_gan/docs/mpi_inf_3dhp.md.
_base_ = ['./_base_/recipe_lifter.py', './_base_/mpi_inf_3dhp_test_data.py']

model = dict(backbone=dict(width=256))  # tipsy_h36m_cpu_lifter.py's student
test_dataloader = {{_base_.mpi_inf_3dhp_test_dataloader}}
test_evaluator = {{_base_.mpi_inf_3dhp_test_evaluator}}
