"""TIPSy-GAN training without mmengine, mmcv or mmpose (issues 9 and 10).

For a machine that has torch and NumPy only (e.g. a lent GPU): the networks,
losses and the training step are ``tipsy_gan.core``'s; this package adds
what mmengine's Runner does around them, reproduced exactly on CPU:

- ``data``: the compact, self-checking file of normalised 2D training poses
  (written by ``tools/gpu/prepare_data.py`` on the CPU side) and its loader;
- ``recipe``: the JSON recipe exported from an mmengine config
  (``tools/gpu/export_recipe.py``) and the core objects it names;
- ``averaging``: mmengine's ``EMAHook`` weight averaging of the lifter;
- ``trainer``: the two-stage loop (``tools/train_standalone.py``);
- ``checkpoint``: mmengine-style checkpoints and the compact, sharded
  "return" form of the teacher and student;
- ``lifting``: the demos' lifting path (normalise, lift, decode) on core
  functions.

Every module here imports only the standard library, torch, NumPy and
``tipsy_gan.core`` (a test checks it).
"""
