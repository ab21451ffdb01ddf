"""Rebuild a TIPSyGAN checkpoint from the return shards of a GPU run (CPU side).

    python tools/gpu/assemble_checkpoint.py RETURN_DIR/tipsy_return.manifest.json \\
        work_dirs/tipsy_h36m_gpu/tipsy_gpu_assembled.pth

Checks every shard's sha256, the joined blob's and every tensor's key, shape,
dtype and sha256 against the manifest; upcasts the teacher and student to
float32; sets ``lifter.*`` to the teacher (the averaged lifter: the raw
lifter and the discriminator are not sent back); adds the Human3.6M
``dataset_meta`` that mmengine's checkpoints carry (from MMPose, when it is
installed); writes the checkpoint whole or not at all, and reads it back to
check the round trip. The result is what ``tools/test.py CONFIG CKPT`` (the
student, since it has been distilled) and ``tools/export_student.py`` read.
"""
import argparse
import io
import sys
from pathlib import Path

import torch

REPO_ROOT = Path(__file__).resolve().parents[2]
try:
    import tipsy_gan  # noqa: F401
except ImportError:  # a checkout without the package installed
    sys.path.insert(0, str(REPO_ROOT / 'projects' / 'tipsy_gan'))

from tipsy_gan.standalone.checkpoint import (ReturnFileError,  # noqa: E402
                                             dtype_name, assembled_checkpoint,
                                             atomic_write_bytes,
                                             describe_manifest, read_return,
                                             tensor_sha256)


def h36m_dataset_meta():
    """What ``Runner.save_checkpoint`` stores as meta['dataset_meta'] for
    the Human3.6M train set (None without MMPose)."""
    try:
        from mmpose.datasets import Human36mDataset
        from mmpose.datasets.datasets.utils import parse_pose_metainfo
    except ImportError:
        return None
    return parse_pose_metainfo(Human36mDataset.METAINFO)


def load_back(path):
    try:
        from tipsy_gan.utils.checkpoint_compat import load_local_checkpoint
        return load_local_checkpoint(str(path), map_location='cpu')
    except ImportError:  # no mmengine: no NumPy dataset_meta either
        return torch.load(str(path), map_location='cpu', weights_only=True)


def check_round_trip(written, manifest):
    """Every returned tensor, read back from the written file and converted
    to its stored dtype, has the stored bytes."""
    state = written['state_dict']
    for key, entry in manifest['tensors'].items():
        if key not in state:
            raise ReturnFileError(f'{key} missing from the written checkpoint')
        value = state[key]
        if list(value.shape) != entry['shape'] or \
                dtype_name(value.dtype) != entry['original_dtype']:
            raise ReturnFileError(f'{key}: shape/dtype changed')
        if tensor_sha256(value.to(getattr(torch, entry['dtype']))) != \
                entry['sha256']:
            raise ReturnFileError(f'{key}: values changed')
        if key.startswith('teacher.'):
            lifter = state['lifter.' + key[len('teacher.'):]]
            if not torch.equal(lifter, value):
                raise ReturnFileError(f'lifter entry of {key} differs')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('manifest', help='tipsy_return.manifest.json')
    parser.add_argument('out', help='checkpoint to write')
    parser.add_argument('--no-dataset-meta', action='store_true')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        payload = read_return(args.manifest)
        checkpoint = assembled_checkpoint(payload)
    except ReturnFileError as error:
        raise SystemExit(f'cannot assemble {args.manifest}: {error}')
    if not args.no_dataset_meta:
        meta = h36m_dataset_meta()
        if meta is not None:
            checkpoint['meta'].setdefault('dataset_meta', meta)
    buffer = io.BytesIO()
    torch.save(checkpoint, buffer)
    atomic_write_bytes(args.out, buffer.getvalue())
    try:
        check_round_trip(load_back(args.out), payload['manifest'])
    except ReturnFileError as error:
        Path(args.out).unlink()
        raise SystemExit(f'round trip failed, {args.out} removed: {error}')
    meta = checkpoint['meta']
    summary = meta.get('tipsy_standalone', {}).get('summary', {})
    print(f'wrote {args.out} from {describe_manifest(payload["manifest"])}; '
          f'epoch {meta.get("epoch")}, {summary.get("adversarial_steps")} '
          f'adversarial + {summary.get("distillation_steps")} distillation '
          'steps; round trip checked (keys, shapes, sha256)')


if __name__ == '__main__':
    main()
