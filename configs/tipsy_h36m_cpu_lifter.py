# The CPU-scale TIPSy student (configs/tipsy_h36m_cpu.py) as a PoseLifter.
#   python tools/export_student.py work_dirs/tipsy_h36m_cpu/epoch_5.pth tipsy_student_cpu.pth
#   python tools/test.py configs/tipsy_h36m_cpu_lifter.py tipsy_student_cpu.pth
# The width must match tipsy_h36m_cpu.py's student (PROVISIONAL: 256).
_base_ = ['./tipsy_h36m_lifter.py']

model = dict(backbone=dict(width=256))
