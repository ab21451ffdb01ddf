"""TIPSy-GAN for MMPose.

``tipsy_gan.core`` is the algorithm in plain PyTorch and NumPy; it imports
neither mmcv nor mmpose, so it runs wherever torch runs. The MMPose glue
registers itself when ``tipsy_gan.mmpose_modules`` is imported, which configs
do through ``custom_imports`` and the tools do explicitly.
"""
__version__ = '0.1.0'
