"""Export the distilled TIPSy student of a TIPSyGAN checkpoint as an MMPose
PoseLifter checkpoint.

    python tools/export_student.py work_dirs/tipsy_h36m/epoch_700.pth tipsy_student.pth

The output holds ``backbone.lifter.*`` weights for ``TIPSyLifterBackbone``
(``TIPSyLiftingHead`` has none) and a meta block naming its kind, the
student's architecture and the dataset metainfo, so that
``mmpose.apis.init_model(configs/tipsy_h36m_lifter.py, OUT)`` and
``inference_pose_lifter_model`` load it as they load any PoseLifter. The file
is written whole or not at all. A checkpoint of another kind (a PoseLifter
one, a run without a student, a student never distilled) is refused.
"""
import argparse
import io
import os.path as osp
import re
import sys
from collections import OrderedDict

import torch

from tipsy_gan.models.pose_lifter_parts import POSE_LIFTER_KIND
from tipsy_gan.utils.atomic_write import atomic_output_path
from tipsy_gan.utils.checkpoint_compat import load_local_checkpoint
STUDENT = 'student.'
BACKBONE = 'backbone.lifter.'


class ExportError(ValueError):
    pass


def student_architecture(state_dict, meta):
    """TIPSyLifterBackbone arguments of the student in ``state_dict``."""
    width = state_dict[STUDENT + 'net.stem.0.weight'].shape[0]
    blocks = {int(m.group(1)) for k in state_dict
              for m in [re.match(r'student\.net\.blocks\.(\d+)\.', k)] if m}
    architecture = dict(type='TIPSyLifterBackbone', width=int(width),
                        num_blocks=len(blocks), activation='leaky_relu',
                        dropout=0.0)
    # Activation and dropout leave no trace in the weights: read the config
    # the run saved in the checkpoint.
    try:
        from mmengine.config import Config
        student = Config.fromstring(meta['cfg'], '.py').model.student
        architecture['activation'] = student.get('activation', 'leaky_relu')
        architecture['dropout'] = float(student.get('dropout', 0.0))
    except Exception as error:  # noqa: BLE001 - report and keep defaults
        print(f'warning: could not read the student config from the '
              f'checkpoint ({error}); assuming leaky_relu, no dropout',
              file=sys.stderr)
    return architecture


def export_student(checkpoint):
    """The PoseLifter checkpoint dict for a TIPSyGAN training checkpoint."""
    state_dict = checkpoint.get('state_dict')
    meta = checkpoint.get('meta') or {}
    if not isinstance(state_dict, dict):
        raise ExportError('not an mmengine checkpoint: no state_dict')
    if meta.get('kind') == POSE_LIFTER_KIND or any(
            k.startswith('backbone.') for k in state_dict):
        raise ExportError('this is already an exported PoseLifter checkpoint;'
                          ' use it with configs/tipsy_h36m_lifter.py')
    if not any(k.startswith('lifter.') for k in state_dict):
        raise ExportError('not a TIPSyGAN checkpoint: no lifter.* weights')
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
    out_meta = dict(
        kind=POSE_LIFTER_KIND,
        backbone=student_architecture(state_dict, meta),
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
    return parser.parse_args()


def main():
    args = parse_args()
    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'checkpoint not found: {args.checkpoint}')
    try:
        exported = export_student(load_local_checkpoint(args.checkpoint,
                                                        map_location='cpu'))
    except ExportError as error:
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
