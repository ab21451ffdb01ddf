"""TIPSy-GAN's algorithm in plain PyTorch and NumPy: imports neither mmcv nor mmpose."""
