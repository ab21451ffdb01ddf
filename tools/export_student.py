"""Export the distilled TIPSy student of a TIPSyGAN checkpoint as an MMPose
PoseLifter checkpoint.

    python tools/export_student.py work_dirs/tipsy_h36m/epoch_700.pth tipsy_student.pth

The output holds ``backbone.lifter.*`` weights for ``TIPSyLifterBackbone``
(``TIPSyLiftingHead`` has none) and a meta block naming its kind, the
student's architecture and the dataset metainfo, so that
``mmpose.apis.init_model(configs/tipsy_h36m_lifter.py, OUT)`` and
``inference_pose_lifter_model`` load it as they load any PoseLifter. The file
is written whole or not at all. A checkpoint of another kind (a PoseLifter
one, a run without a student, a student never distilled, missing weights) is
refused. The student's activation and dropout come from ``--config CONFIG``
or, read as plain data (never executed), from the config text the
checkpoint carries.
"""
import argparse
import ast
import io
import os.path as osp
import re
from collections import OrderedDict

import torch

from tipsy_gan.utils.checkpoint_kinds import POSE_LIFTER_KIND, checkpoint_kind
from tipsy_gan.utils.atomic_write import atomic_output_path
from tipsy_gan.utils.checkpoint_compat import load_local_checkpoint
STUDENT = 'student.'
BACKBONE = 'backbone.lifter.'


class ExportError(ValueError):
    pass


def plain_config_value(text, name):
    """The value assigned to ``name`` at the top of a config's text, read
    without executing anything: only literals, lists, tuples, dicts and
    ``dict(key=...)`` calls are accepted.

    Raises:
        ExportError: the text does not parse, assigns no ``name``, or builds
            it with anything else (a checkpoint's config text is data to us,
            never code).
    """
    def value(node):
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, (ast.List, ast.Tuple)):
            items = [value(item) for item in node.elts]
            return items if isinstance(node, ast.List) else tuple(items)
        if isinstance(node, ast.Dict) and None not in node.keys:
            return {value(k): value(v) for k, v in zip(node.keys, node.values)}
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == 'dict' and not node.args
                and all(k.arg is not None for k in node.keywords)):
            return {k.arg: value(k.value) for k in node.keywords}
        if (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
                and isinstance(node.operand, ast.Constant)):
            return -value(node.operand)
        raise ExportError(
            f'the config text in the checkpoint builds {name!r} with '
            f'{type(node).__name__} at line {node.lineno}, which is not plain '
            'data; pass the training config with --config CONFIG')

    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, TypeError) as error:
        raise ExportError(f'the config text in the checkpoint does not parse '
                          f'({error}); pass --config CONFIG') from None
    for statement in tree.body:
        if (isinstance(statement, ast.Assign) and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name)
                and statement.targets[0].id == name):
            return value(statement.value)
    raise ExportError(f'the config text in the checkpoint sets no {name!r}; '
                      'pass --config CONFIG')


def student_config(meta, config=None):
    """The run's ``model.student`` dict: from the config file the user
    names, else read as plain data from the checkpoint's ``meta['cfg']``."""
    if config is not None:
        from mmengine.config import Config
        student = Config.fromfile(config).model.get('student')
    elif isinstance(meta.get('cfg'), str):
        model = plain_config_value(meta['cfg'], 'model')
        student = model.get('student') if isinstance(model, dict) else None
    else:
        raise ExportError('the checkpoint carries no config text (meta.cfg): '
                          'pass the training config with --config CONFIG')
    if not isinstance(student, dict):
        raise ExportError('the config has no model.student dict')
    return student


def student_architecture(state_dict, meta, config=None):
    """TIPSyLifterBackbone arguments of the student in ``state_dict``."""
    width = state_dict[STUDENT + 'net.stem.0.weight'].shape[0]
    blocks = {int(m.group(1)) for k in state_dict
              for m in [re.match(r'student\.net\.blocks\.(\d+)\.', k)] if m}
    # Activation and dropout leave no trace in the weights: read the config.
    student = student_config(meta, config)
    return dict(type='TIPSyLifterBackbone', width=int(width),
                num_blocks=len(blocks),
                activation=student.get('activation', 'leaky_relu'),
                dropout=float(student.get('dropout', 0.0)))


def check_loads(architecture, weights):
    """The exported weights must load, strictly, into the backbone the meta
    names: its own checkpoint check (every weight, at its shape) and
    PyTorch's for unexpected keys."""
    from tipsy_gan.models.pose_lifter_parts import TIPSyLifterBackbone
    backbone = TIPSyLifterBackbone(
        **{k: v for k, v in architecture.items() if k != 'type'})
    try:
        backbone.load_state_dict(
            {k[len('backbone.'):]: v for k, v in weights.items()})
    except (ValueError, RuntimeError) as error:
        raise ExportError(
            f'the student weights do not make a {architecture["type"]} of '
            f'width {architecture["width"]} with '
            f'{architecture["num_blocks"]} blocks: {error}') from None


def export_student(checkpoint, config=None):
    """The PoseLifter checkpoint dict for a TIPSyGAN training checkpoint."""
    state_dict = checkpoint.get('state_dict')
    meta = checkpoint.get('meta') or {}
    if not isinstance(state_dict, dict):
        raise ExportError('not an mmengine checkpoint: no state_dict')
    try:
        kind = checkpoint_kind(checkpoint)
    except ValueError as error:
        raise ExportError(f'not a TIPSyGAN checkpoint: {error}') from None
    if kind == 'pose_lifter':
        raise ExportError('this is already an exported PoseLifter checkpoint;'
                          ' use it with configs/tipsy_h36m_lifter.py')
    if not any(k.startswith(STUDENT) for k in state_dict):
        raise ExportError(
            'this TIPSyGAN checkpoint has no student (a solo or leg+torso '
            'config without distillation): there is nothing to export')
    if not bool(state_dict.get('distilling', torch.zeros((), dtype=bool))):
        raise ExportError(
            f'the student in this checkpoint (epoch {meta.get("epoch")}) has '
            'not been distilled yet: export a checkpoint from the '
            'distillation stage (e.g. the last epoch)')
    weights = OrderedDict((BACKBONE + k[len(STUDENT):], v)
                          for k, v in state_dict.items()
                          if k.startswith(STUDENT))
    architecture = student_architecture(state_dict, meta, config)
    check_loads(architecture, weights)
    out_meta = dict(
        kind=POSE_LIFTER_KIND,
        backbone=architecture,
        source_epoch=meta.get('epoch'),
        mmengine_version=meta.get('mmengine_version'),
    )
    if 'dataset_meta' in meta:
        out_meta['dataset_meta'] = meta['dataset_meta']
    return {'meta': out_meta, 'state_dict': weights}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('checkpoint', help='TIPSyGAN training checkpoint')
    parser.add_argument('out', help='PoseLifter checkpoint to write')
    parser.add_argument(
        '--config', help='the training config of the run (default: read the '
        "student's activation and dropout, as plain data, from the config "
        'text the checkpoint carries; nothing in a checkpoint is executed)')
    return parser.parse_args()


def main():
    args = parse_args()
    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'checkpoint not found: {args.checkpoint}')
    try:
        exported = export_student(load_local_checkpoint(args.checkpoint,
                                                        map_location='cpu'),
                                  args.config)
    except (ExportError, ValueError) as error:
        raise SystemExit(f'cannot export {args.checkpoint}: {error}')
    # as given (relative paths stay relative: no local folders in a
    # checkpoint that may be published)
    exported['meta']['source_checkpoint'] = args.checkpoint
    # Through a buffer: torch.save names the archive after the file, and the
    # temporary file's random name would change the bytes (and the sha256)
    # of every export.
    buffer = io.BytesIO()
    torch.save(exported, buffer)
    with atomic_output_path(args.out) as tmp_path:
        with open(tmp_path, 'wb') as f:
            f.write(buffer.getvalue())
    backbone = exported['meta']['backbone']
    print(f'wrote {args.out}: TIPSyLifterBackbone width {backbone["width"]}, '
          f'{backbone["num_blocks"]} blocks, {backbone["activation"]}; load '
          'it with a PoseLifter config of that architecture '
          '(configs/tipsy_h36m_lifter.py: width 1024; '
          'configs/tipsy_h36m_cpu_lifter.py: the CPU-scale width)')


if __name__ == '__main__':
    main()
