"""One lifter loader for every checkpoint kind the project writes.

:func:`load_lifter` (config, checkpoint) -> :class:`LoadedLifter`: the
config's model with the checkpoint's weights, in eval mode, and which network
lifts. The kinds (``docs/checkpoint.md``):

* ``'training'``: a ``TIPSyGAN`` checkpoint written by ``tools/train.py``
  (``lifter.*``, ``discriminator.*`` and, with a student, ``teacher.*`` and
  ``student.*``; an epoch checkpoint or a curve hook's run);
* ``'picked'``: ``picked_lifter.pth``, a stopping rule's pick
  (``TIPSyCurveHook``: ``lifter.*`` and the final ``discriminator.*``);
* ``'pose_lifter'``: an exported student (``tools/export_student.py``:
  ``backbone.*``, ``head.*``), for MMPose's ``PoseLifter``, or the
  supervised reference.

Anything else gives a ``ValueError`` that names what the file holds. Every
file is read with ``weights_only=True`` (``utils.checkpoint_compat``). The
models check that every weight they need is there (``TIPSyGAN`` and the
``PoseLifter`` backbones refuse a partial or foreign checkpoint by name).
``tools/test.py`` (into its runner's model), ``tools/analysis/fast_eval.py``,
the sensitivity tool and the demos load through it; only ``--resume`` loads
through mmengine's runner (optimisers and loop state too), into the same
models and checks.
"""
import dataclasses
import os.path as osp
from typing import Optional, Union

import torch
from mmengine.config import Config
from mmengine.model import is_model_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import _load_checkpoint_to_model
from mmpose.apis import init_model
from mmpose.registry import MODELS

from .. import mmpose_modules  # noqa: F401  (TIPSy's registered parts)
from ..models.tipsy_gan_model import TEST_NETWORKS, TIPSyGAN
from ..utils.checkpoint_compat import load_local_checkpoint
from ..utils.checkpoint_kinds import KINDS, checkpoint_kind  # noqa: F401

@dataclasses.dataclass
class LoadedLifter:
    """A loaded lifter: ``model`` (the config's ``TIPSyGAN`` or
    ``PoseLifter``, eval mode), the checkpoint's ``kind``, and ``network``,
    the network that lifts ('lifter', 'teacher', 'student', or 'backbone'
    for a PoseLifter)."""
    model: torch.nn.Module
    kind: str
    network: str
    meta: dict

    @property
    def depth_network(self) -> torch.nn.Module:
        """The (B, 16, 2) -> (B, 16) depth network, in eval mode."""
        if isinstance(self.model, TIPSyGAN):
            return self.model._test_lifter().eval()
        return self.model.backbone.lifter.eval()

    def describe(self) -> str:
        what = type(self.model._test_lifter() if isinstance(
            self.model, TIPSyGAN) else self.model.backbone).__name__
        if self.kind == 'picked':
            return (f"picked lifter (iteration {self.meta.get('picked_iter')}"
                    f', {what})')
        if self.kind == 'pose_lifter':
            return f'PoseLifter student ({what})'
        return f'TIPSyGAN {self.network} ({what})'


def _config(config: Union[str, Config]) -> Config:
    return (config if isinstance(config, Config) else
            Config.fromfile(str(config)))


def _choose_network(model, kind, network, name):
    if not isinstance(model, TIPSyGAN):
        if network not in ('auto', 'student'):
            raise ValueError(f'{name} is an exported PoseLifter: it holds '
                             f'the student only, not a {network}')
        return 'backbone'
    if network not in TEST_NETWORKS:
        raise ValueError(f'network must be one of {TEST_NETWORKS}, got '
                         f'{network!r}')
    if kind == 'picked' and network not in ('auto', 'lifter'):
        raise ValueError(f'{name} is a picked lifter (TIPSyCurveHook); it '
                         f'holds no {network}')
    if network == 'teacher' and not bool(model.distilling):
        raise ValueError(f'{name}: the teacher is set at the switch to '
                         'distillation; this checkpoint is from before it')
    if network == 'student' and model.student is None:
        raise ValueError(f'{name}: this config has no student')
    if network != 'auto':
        model.test_network = network
    return model.test_network_name()


def load_lifter(config: Union[str, Config], checkpoint: Optional[str],
                network: str = 'auto', device: str = 'cpu',
                model: Optional[torch.nn.Module] = None) -> LoadedLifter:
    """The config's model with ``checkpoint``'s weights (module docstring).

    Args:
        config: a TIPSyGAN training config or a TIPSy ``PoseLifter`` config.
        checkpoint: a file of one of :data:`KINDS`; ``None`` or 'none': the
            model as built (weight-free reference configs).
        network: for a TIPSyGAN, which network lifts: 'auto' (the student
            once distillation has begun, else the lifter), 'lifter',
            'teacher' or 'student'.
        device: where the model goes.
        model: load into this model, already built from ``config`` (a
            runner's, possibly wrapped), instead of building one; it is
            neither moved nor put in eval mode.
    """
    cfg = _config(config)
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    pose_lifter = cfg.model.get('type') == 'PoseLifter'
    given = model
    if given is not None and is_model_wrapper(given):
        given = given.module
    if given is not None and (checkpoint is None
                              or str(checkpoint).lower() == 'none'):
        raise ValueError('load_lifter(model=...) needs a checkpoint')
    if checkpoint is None or str(checkpoint).lower() == 'none':
        # weight-free (reference configs): the model as built
        model = (init_model(cfg, None, device='cpu') if pose_lifter else
                 MODELS.build(cfg.model))
        network = (_choose_network(model, 'none', network, 'the model')
                   if isinstance(model, TIPSyGAN) else 'backbone')
        return LoadedLifter(model=model.to(device).eval(), kind='none',
                            network=network, meta={})
    name = str(checkpoint)
    if not osp.isfile(name):
        raise FileNotFoundError(f'checkpoint not found: {name}')
    loaded = load_local_checkpoint(name, map_location='cpu')
    kind = checkpoint_kind(loaded, name)
    if pose_lifter == (kind != 'pose_lifter'):
        raise ValueError(
            f'{name} is a {kind} checkpoint, and {cfg.filename} builds a '
            f'{cfg.model.type}: '
            + ('a TIPSyGAN checkpoint loads with its training config, or '
               'export its student (tools/export_student.py)' if pose_lifter
               else 'export the student first (tools/export_student.py CKPT '
               'OUT.pth) or use its training config'))
    if given is not None:
        # the runner's model: as its load_checkpoint would (module. prefixes
        # removed, the models' own completeness checks)
        _load_checkpoint_to_model(given, loaded, strict=False)
        network = _choose_network(given, kind, network, name)
        return LoadedLifter(model=given, kind=kind, network=network,
                            meta=loaded.get('meta') or {})
    if pose_lifter:
        # MMPose's own loader: the file's dataset_meta first, the config's
        # otherwise (the file is read once more, through the same
        # weights_only loader)
        model = init_model(cfg, name, device='cpu')
    else:
        model = MODELS.build(cfg.model)
        _load_checkpoint_to_model(model, loaded, strict=False)
    network = _choose_network(model, kind, network, name)
    meta = loaded.get('meta') or {}
    return LoadedLifter(model=model.to(device).eval(), kind=kind,
                        network=network, meta=meta)
