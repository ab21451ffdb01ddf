# The CPU-scale TIPSy student (configs/tipsy_h36m_cpu.py) as a PoseLifter.
# The published weights (projects/tipsy_gan/checkpoints/, README) load here:
#   python tools/test.py configs/tipsy_h36m_cpu_lifter.py projects/tipsy_gan/checkpoints/tipsy_h36m_cpu_student.pth
# or export a student of your own run:
#   python tools/export_student.py work_dirs/tipsy_h36m_cpu/epoch_3.pth tipsy_student_cpu.pth
# The width must match tipsy_h36m_cpu.py's student (256; a test checks it).
_base_ = ['./_base_/recipe_lifter.py']

model = dict(backbone=dict(width=256))
