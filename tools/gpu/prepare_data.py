"""Write the compact pose file the standalone trainer reads (CPU side).

    python tools/gpu/prepare_data.py                     # fps10 train split
    python tools/gpu/prepare_data.py --config CFG --out data/gpu/mine.npz
    python tools/gpu/prepare_data.py --config configs/tipsy_h36m_cpu_hands.py \
        --ann-file config --heldout data/gpu/h36m_fps10_heldout_2d.npz

Builds the config's train dataset (``TIPSyPose2DDataset``: the frames
``Human36mDataset`` selects, normalised once by the codec) through MMPose's
registry, as ``tools/train.py`` does, and stores its normalised (N, 16, 2)
poses with their checksum, the subjects and the source file
(``tipsy_gan/standalone/data.py`` has the format). float32 by default:
exactly the values the mmengine path trains on (fps10: 241,264 poses,
30.9 MB); ``--dtype float16`` halves it (rounded poses).

``--heldout OUT`` also writes, in the same format, the held-out 2D of the
config's ``TIPSyCurveHook`` (its split's normalised 2D, ``signal_poses`` of
them evenly spread: what the hook's label-free signals read), which the
torch-only trainer's ``--heldout`` takes.

``--ann-file`` defaults to the fps10 train split: the paper config
(configs/tipsy_h36m.py) names fps50, whose 1.2 M poses (154 MB in float32)
do not fit the 64 MiB that travels to the GPU machine.
"""
import argparse
import os.path as osp
import sys
import time

import numpy as np
from mmengine.config import Config
from mmengine.registry import init_default_scope

import tipsy_gan.mmpose_modules  # noqa: F401  registers the dataset
from mmpose.registry import DATASETS
from tipsy_gan.engine.curve_hook import held_out_2d
from tipsy_gan.evaluation.fast_eval import input_codec_cfg, split_dataset_cfg
from tipsy_gan.paths import REPO_ROOT
from tipsy_gan.standalone.data import (file_sha256, load_pose_file,
                                       write_pose_file)

DEFAULT_CONFIG = REPO_ROOT / 'configs' / 'tipsy_h36m.py'
DEFAULT_ANN_FILE = 'annotation_body3d/fps10/h36m_train.npz'
DEFAULT_OUT = REPO_ROOT / 'data' / 'gpu' / 'h36m_fps10_train_2d.npz'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=str(DEFAULT_CONFIG),
                        help='a TIPSy config; its train_dataloader.dataset '
                        'is built')
    parser.add_argument('--data-root', default=None,
                        help="the converted Human3.6M (the config's "
                        'data_root by default, data/h36m/)')
    parser.add_argument('--ann-file', default=DEFAULT_ANN_FILE,
                        help="relative to the data root; 'config' keeps "
                        "the config's")
    parser.add_argument('--indices', type=int, default=None,
                        help="the first N frames (the config's by default)")
    parser.add_argument('--dtype', default='float32',
                        choices=['float32', 'float16'])
    parser.add_argument('--out', default=str(DEFAULT_OUT))
    parser.add_argument('--heldout', default=None,
                        help="also write the config's TIPSyCurveHook "
                        'held-out 2D here')
    return parser.parse_args(argv)


def dataset_config(cfg, args):
    dataset = cfg.train_dataloader.dataset.copy()
    if dataset.get('type') != 'TIPSyPose2DDataset':
        raise SystemExit(f'{args.config}: the train dataset is '
                         f'{dataset.get("type")}, not TIPSyPose2DDataset')
    if args.data_root is not None:
        dataset.data_root = args.data_root.rstrip('/') + '/'
    if args.ann_file != 'config':
        dataset.ann_file = args.ann_file
    if args.indices is not None:
        dataset.indices = args.indices
    return dataset


def selected_frames(dataset):
    """The annotation rows ``TIPSyPose2DDataset`` keeps (its full_init)."""
    frames = np.array([seq[-1] for seq in dataset.sequence_indices],
                      dtype=np.int64)
    indices = dataset._indices
    if indices is not None:
        frames = (frames[:indices] if isinstance(indices, int) else
                  frames[np.asarray(indices)])
    return frames


def write_from_dataset_config(dataset_cfg, out, dtype='float32'):
    """Build ``dataset_cfg`` (a TIPSyPose2DDataset config, MMPose scope)
    and write its poses to ``out``; returns the header."""
    source = osp.join(dataset_cfg.data_root, dataset_cfg.ann_file)
    if not osp.isfile(source):
        raise SystemExit(f'annotation file not found: {source} (convert '
                         'Human3.6M first: tools/dataset_converters/'
                         'h36m_expmap_to_mmpose.py)')
    dataset = DATASETS.build(dataset_cfg)
    poses = dataset.keypoint_labels.numpy()
    with np.load(source) as annotations:
        names = annotations['imgname'][selected_frames(dataset)]
    if len(names) != len(poses):
        raise SystemExit(f'{len(names)} frames but {len(poses)} poses')
    subjects = sorted({str(n).split('/')[0].split('_')[0] for n in names})
    codec = dict(dataset_cfg.codec)
    codec_text = ', '.join(f'{k}={v}' for k, v in sorted(codec.items())
                           if k != 'type')
    header = write_pose_file(
        out, poses.astype(dtype), subjects=subjects,
        source=dataset_cfg.ann_file, source_sha256=file_sha256(source),
        indices=-1 if dataset_cfg.get('indices') is None else int(
            dataset_cfg.indices),
        normalisation=f'{codec["type"]}({codec_text})')
    load_pose_file(out)  # reads back and checks
    header['source_path'] = source
    return header


def write_heldout(cfg, out, dtype='float32'):
    """The held-out 2D of ``cfg``'s ``TIPSyCurveHook`` (as the hook makes
    it, ``held_out_2d``) written to ``out``; returns the header."""
    hooks = [h for h in cfg.get('custom_hooks') or []
             if h.get('type') == 'TIPSyCurveHook']
    if not hooks:
        raise SystemExit('--heldout: the config has no TIPSyCurveHook')
    hook = hooks[0]
    split = hook.get('split', 'val')
    _, poses = held_out_2d(cfg, split, hook.get('stride', 1),
                           hook.get('signal_poses', 8192))
    dataset = split_dataset_cfg(cfg, split)
    source = osp.join(dataset.data_root, dataset.ann_file)
    codec = dict(input_codec_cfg(dataset))
    header = write_pose_file(
        out, poses.numpy().astype(dtype),
        subjects=list(dataset.get('subjects') or [split]),
        source=dataset.ann_file, source_sha256=file_sha256(source),
        normalisation=f'{codec["type"]}, TIPSyCurveHook held-out 2D '
        f'(split {split!r}, {len(poses)} poses)')
    load_pose_file(out)  # reads back and checks
    return header


def report(path, header, dtype, start):
    size = osp.getsize(path)
    print(f'wrote {path}: {header["num_poses"]} poses {dtype} (N, 16, 2) '
          f'from {header["source"]}, subjects '
          f'{", ".join(header["subjects"])}; {size} bytes '
          f'({size / 2**20:.1f} MiB), file sha256 {file_sha256(path)}, '
          f'poses sha256 {header["poses_sha256"]} '
          f'({time.monotonic() - start:.1f} s)')


def prepare(args):
    cfg = Config.fromfile(args.config)
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    start = time.monotonic()
    header = write_from_dataset_config(dataset_config(cfg, args), args.out,
                                       args.dtype)
    report(args.out, header, args.dtype, start)
    if args.heldout:
        start = time.monotonic()
        report(args.heldout, write_heldout(cfg, args.heldout, args.dtype),
               args.dtype, start)
    return header


def main(argv=None):
    prepare(parse_args(argv))


if __name__ == '__main__':
    sys.exit(main())
