"""The checkpoint kinds TIPSy writes, and how a loaded file is told apart.

One detection for every reader (the lifter loader, the distillation
teacher, export; ``docs/checkpoint.md``):

* ``'training'``: a ``TIPSyGAN`` checkpoint written by ``tools/train.py``
  (``lifter.*``, ``discriminator.*`` and, with a student, ``teacher.*`` and
  ``student.*``);
* ``'picked'``: ``picked_lifter.pth``, a stopping rule's pick
  (``TIPSyCurveHook``: ``lifter.*`` and the final ``discriminator.*``,
  ``meta['source'] == PICKED_SOURCE``);
* ``'pose_lifter'``: an exported student for MMPose's ``PoseLifter``
  (``backbone.*``, ``head.*``, ``meta['kind'] == POSE_LIFTER_KIND``).

This module imports nothing of the package, so every layer may use it.
"""

KINDS = ('training', 'picked', 'pose_lifter')
# meta['source'] of a picked lifter (TIPSyCurveHook)
PICKED_SOURCE = 'TIPSyCurveHook'
# meta['kind'] of an exported student (tools/export_student.py)
POSE_LIFTER_KIND = 'tipsy_pose_lifter'


def checkpoint_kind(checkpoint, name='the checkpoint'):
    """Which of :data:`KINDS` a loaded checkpoint dict is; a ``ValueError``
    that names what the file holds for anything else."""
    if not isinstance(checkpoint, dict):
        raise ValueError(f'{name} is not a checkpoint: it holds a '
                         f'{type(checkpoint).__name__}, not a dict')
    state_dict = checkpoint.get('state_dict', checkpoint)
    meta = checkpoint.get('meta') or {}
    if not isinstance(state_dict, dict):
        raise ValueError(f'{name} is not a checkpoint: its state_dict is a '
                         f'{type(state_dict).__name__}, not a dict')
    keys = [k[len('module.'):] if k.startswith('module.') else k
            for k in state_dict]
    if meta.get('kind') == POSE_LIFTER_KIND or any(
            k.startswith('backbone.') for k in keys):
        return 'pose_lifter'
    if any(k.startswith('lifter.') for k in keys):
        return 'picked' if meta.get('source') == PICKED_SOURCE else 'training'
    tops = sorted({str(k).split('.')[0] for k in keys})
    raise ValueError(
        f'{name} is none of the kinds TIPSy writes ({", ".join(KINDS)}): '
        f'its weights are under {", ".join(tops[:5]) or "nothing"}'
        f'{", ..." if len(tops) > 5 else ""}. See docs/checkpoint.md')


def lifter_state(checkpoint, name='the checkpoint'):
    """The ``lifter.*`` weights (prefix removed) of a training or picked
    checkpoint: the adversarial stage's lifter (a training checkpoint of a
    run with EMAHook holds the averaged one)."""
    kind = checkpoint_kind(checkpoint, name)
    if kind not in ('training', 'picked'):
        raise ValueError(f'{name} is a {kind} checkpoint (an exported '
                         'student), not a TIPSyGAN lifter: give '
                         'picked_lifter.pth or a tools/train.py checkpoint')
    state_dict = checkpoint.get('state_dict', checkpoint)
    out = {}
    for key, value in state_dict.items():
        key = key[len('module.'):] if key.startswith('module.') else key
        if key.startswith('lifter.'):
            out[key[len('lifter.'):]] = value
    return out
