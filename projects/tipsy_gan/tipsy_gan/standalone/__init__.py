"""TIPSy-GAN training without mmcv or MMPose (issues 9, 10 and 20).

For a machine that has torch and NumPy (e.g. a lent GPU) and mmengine's
pure-Python wheel: the networks, losses and the training step are
``tipsy_gan.core``'s, the config is read with mmengine's ``Config`` and its
learning-rate schedules are mmengine's classes; this package adds what
mmengine's Runner and MMPose's dataset do around them, reproduced exactly on
the CPU:

- ``data``: the compact, self-checking file of normalised 2D poses (written
  by ``tools/gpu/prepare_data.py`` on the CPU side) and its loader;
- ``recipe``: what a config trains, read from the config file, and what this
  trainer refuses (by name);
- ``averaging``: mmengine's ``EMAHook`` weight averaging, on the device;
- ``trainer``: the two-stage loop (``tools/train_standalone.py``), with the
  label-free curve and pick of ``research.curve``;
- ``checkpoint``: mmengine-style checkpoints and the compact, sharded
  "return" form of the teacher and student;
- ``lifting``: the demos' lifting path (normalise, lift, decode) on core
  functions.

No module here imports mmcv or MMPose (a test checks it).
"""
