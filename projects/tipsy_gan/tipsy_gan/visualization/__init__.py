"""MMPose visualizers; importing this registers them in ``VISUALIZERS``."""
from .pose3d_visualizer import TIPSyPose3dVisualizer

__all__ = ['TIPSyPose3dVisualizer']
