"""Import this to register TIPSy-GAN's modules in MMPose's registries.

Configs name it in ``custom_imports = dict(imports=['tipsy_gan.mmpose_modules'])``.
It also lets mmengine load its own checkpoints on PyTorch >= 2.6, safely
(see ``utils/checkpoint_compat.py``), and write local files (checkpoints
among them) whole or not at all (``utils/atomic_backend.py``).
"""
from .utils.atomic_backend import install_atomic_local_backend
from .utils.checkpoint_compat import allow_mmengine_checkpoint_types

allow_mmengine_checkpoint_types()
install_atomic_local_backend()

from . import (codecs, engine, evaluation, models,  # noqa: E402,F401
               visualization)
from .datasets import (h36m_subjects, mpi_inf_3dhp_dataset,  # noqa: E402,F401
                       pose_2d_dataset)
