"""Convert the Human3.6M exponential-map release into MMPose's Human3.6M files.

Writes, under ``--out-dir``, what MMPose 1.3.2's ``Human36mDataset`` reads (the
layout of MMPose's ``tools/dataset_converters/preprocess_h36m.py``)::

    annotation_body3d/cameras.pkl
    annotation_body3d/fps50/h36m_{train,test}.npz   (+ joint*_stats.pkl)
    annotation_body3d/fps10/h36m_{train,test}.npz   (+ joint*_stats.pkl)
    annotation_body3d/conversion_report.json

Poses are rebuilt with ``h36m_expmap.py`` (beside this script), projected
through the real calibration with MMPose's ``SimpleCamera``. Byte-identical
duplicate sequences are kept once, and a test sequence equal to a training one
is dropped. Output is deterministic and appears only once the run has finished.

Example::

    python tools/dataset_converters/h36m_expmap_to_mmpose.py \\
        --expmap-dir ../shared/data/h36m_expmap \\
        --cameras ../shared/data/h36m_cameras/cameras.pkl --out-dir data/h36m
"""
import argparse
import json
import os
import pickle
import shutil
import signal
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from tipsy_gan.core.skeleton import H36M_ACTIONS
from tipsy_gan.paths import shared_dir

import h36m_expmap as hx  # beside this script (tools/ is not a package)

SPLITS = {'train': ('S1', 'S5', 'S6', 'S7', 'S8'), 'test': ('S9', 'S11')}
SUBJECT_SPLIT = {s: split for split, subs in SPLITS.items() for s in subs}
ALL_SUBJECTS = SPLITS['train'] + SPLITS['test']
# Release file names -> MMPose's 15 action names (samples follow this order).
ACTION_NAMES = {
    'directions': 'Directions', 'discussion': 'Discussion',
    'eating': 'Eating', 'greeting': 'Greeting', 'phoning': 'Phoning',
    'takingphoto': 'Photo', 'posing': 'Posing', 'purchases': 'Purchases',
    'sitting': 'Sitting', 'sittingdown': 'SittingDown',
    'smoking': 'Smoking', 'waiting': 'Waiting', 'walkingdog': 'WalkDog',
    'walking': 'Walking', 'walkingtogether': 'WalkTogether'
}
assert sorted(ACTION_NAMES.values()) == sorted(H36M_ACTIONS)
RELEASE_ACTIONS = tuple(ACTION_NAMES)
SUBACTIONS = (1, 2)
FPS_STEPS = {'fps50': 1, 'fps10': 5}  # fps10 = every 5th 50 fps frame
SCALE_FACTOR = 1.2  # bbox scale as in preprocess_h36m.py
PICKLE_PROTOCOL = 4
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # fixed npz member timestamps
FLOOR_SPREAD_LIMIT_MM = 30.0


@dataclass
class Sequence:
    subject: str
    name: str  # release name, e.g. 'walking_1'
    path: Path
    raw: bytes = field(repr=False, default=None)  # decompressed text
    expmap: np.ndarray = field(repr=False, default=None)

    @property
    def key(self) -> str:
        return f'{self.subject}/{self.name}'

    @property
    def split(self) -> str:
        return SUBJECT_SPLIT[self.subject]

    @property
    def mmpose_name(self) -> str:
        action, subaction = self.name.rsplit('_', 1)
        return f'{ACTION_NAMES[action]}_{subaction}'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--expmap-dir', type=Path, required=True,
                        help='folder with S{n}/{action}_{sub}.txt.gz')
    parser.add_argument('--cameras', type=Path, required=True,
                        help="calibration in MMPose's cameras.pkl format")
    parser.add_argument('--out-dir', type=Path, required=True)
    parser.add_argument('--subjects', nargs='+', default=list(ALL_SUBJECTS),
                        choices=ALL_SUBJECTS, metavar='S',
                        help='subjects to convert (default: all 7)')
    parser.add_argument('--sequences', nargs='+', default=None, metavar='SEQ',
                        help='only these release sequences, e.g. walking_1 '
                        '(for quick checks)')
    parser.add_argument('--skeleton', type=Path,
                        default=shared_dir() / 'data' /
                        'h36m_expmap_skeleton.json')
    args = parser.parse_args(argv)
    known = {f'{a}_{s}' for a in RELEASE_ACTIONS for s in SUBACTIONS}
    for name in args.sequences or ():
        if name not in known:
            parser.error(f'unknown sequence {name!r}; expected e.g. '
                         'walking_1 or takingphoto_2')
    return args


def log(message: str):
    tqdm.write(message, file=sys.stderr)


# ------------------------------------------------------------ input handling
def list_sequences(expmap_dir: Path, subjects, names=None):
    """Requested sequences in canonical order, and the missing ones."""
    present, missing = [], []
    for subject in subjects:
        for action in RELEASE_ACTIONS:
            for subaction in SUBACTIONS:
                name = f'{action}_{subaction}'
                if names is not None and name not in names:
                    continue
                path = expmap_dir / subject / f'{name}.txt.gz'
                seq = Sequence(subject, name, path)
                (present if path.is_file() else missing).append(seq)
    return present, missing


def find_duplicates(requested, expmap_dir: Path, subjects):
    """Drop repeated content: within the output, and test sequences equal to
    any training file of the release (converted or not), against leakage.

    Returns (kept, dropped) with dropped as (sequence, same_as_key, reason).
    """
    digests = {}
    for seq in tqdm(requested, desc='reading', unit='seq', leave=False):
        seq.raw = hx.read_expmap_bytes(seq.path)
        digests[seq.key] = hx.content_digest(seq.raw)
    train_reference = {}  # digest -> first training key
    if any(SUBJECT_SPLIT[s] == 'test' for s in subjects):
        others, _ = list_sequences(
            expmap_dir, [s for s in SPLITS['train'] if s not in subjects])
        for seq in others:
            digest = hx.content_digest(hx.read_expmap_bytes(seq.path))
            train_reference.setdefault(digest, seq.key)
    kept, dropped, first_kept = [], [], {}
    for seq in requested:  # canonical order: training subjects first
        digest = digests[seq.key]
        if seq.split == 'test' and digest in train_reference:
            dropped.append((seq, train_reference[digest], 'test sequence '
                            'identical to a training one (leak)'))
        elif digest in first_kept:
            same = first_kept[digest]
            reason = ('test sequence identical to a training one (leak)'
                      if seq.split == 'test' and same.split == 'train' else
                      'duplicate content')
            dropped.append((seq, same.key, reason))
        else:
            first_kept[digest] = seq
            if seq.split == 'train':
                train_reference.setdefault(digest, seq.key)
            kept.append(seq)
    return kept, dropped


# --------------------------------------------------------------- conversion
def bbox_center_scale(part: np.ndarray):
    """Centre and scale of the 2D keypoints' box, as preprocess_h36m.py."""
    lower, upper = part[..., :2].min(axis=1), part[..., :2].max(axis=1)
    center = (lower + upper) / 2
    scale = SCALE_FACTOR * np.max(upper - lower, axis=1) / 200
    return center, scale


def project_sequence(joints_m: np.ndarray, camera_param: dict):
    """World joints (F, 17, 3) -> ``S`` (F, 17, 4) camera metres and
    ``part`` (F, 17, 3) pixels, both with a visibility column of ones."""
    from mmpose.utils.camera import SimpleCamera
    camera = SimpleCamera(camera_param)
    in_camera = camera.world_to_camera(joints_m)
    pixels = camera.camera_to_pixel(in_camera)[..., :2]
    ones = np.ones(joints_m.shape[:-1] + (1, ), dtype=np.float64)
    return (np.concatenate([in_camera, ones], axis=-1),
            np.concatenate([pixels, ones], axis=-1))


class SplitBuffer:
    """Per-split annotation arrays, preallocated and filled in order."""

    def __init__(self, num_samples: int):
        self.imgname = []
        self.part = np.empty((num_samples, 17, 3), dtype=np.float64)
        self.S = np.empty((num_samples, 17, 4), dtype=np.float64)
        self.frame = np.empty(num_samples, dtype=np.int64)
        self.filled = 0

    def add(self, names, part, S, frames):
        end = self.filled + len(names)
        self.imgname.extend(names)
        self.part[self.filled:end] = part
        self.S[self.filled:end] = S
        self.frame[self.filled:end] = frames
        self.filled = end

    def arrays(self, step: int):
        """npz arrays with every ``step``-th 50 fps frame."""
        assert self.filled == len(self.frame)
        if step == 1:  # no copies of the big arrays
            keep, imgname = slice(None), self.imgname
        else:
            keep = np.flatnonzero(self.frame % step == 0)
            imgname = [self.imgname[i] for i in keep]
        part = self.part[keep]
        center, scale = bbox_center_scale(part)
        return dict(
            imgname=np.array(imgname),
            center=center,
            scale=scale,
            part=part,
            S=self.S[keep])


def image_names(seq: Sequence, camera_id: str, num_frames: int):
    folder = f'{seq.subject}_{seq.mmpose_name}.{camera_id}'
    return [f'{seq.subject}/{folder}/{folder}_{i + 1:06d}.jpg'
            for i in range(num_frames)]


def pose_stats(kps: np.ndarray) -> dict:
    """Mean and std over samples, as preprocess_h36m.py's _get_pose_stats."""
    K, D = kps.shape[-2:]
    kps = kps.reshape(-1, K, D)
    return dict(mean=kps.mean(axis=0), std=kps.std(axis=0))


def joint_stats(S: np.ndarray, part: np.ndarray) -> dict:
    """The four statistics files of preprocess_h36m.py (rel: root-relative
    joints 1..16)."""
    kps_3d, kps_2d = S[..., :3], part[..., :2]
    return {
        'joint3d_stats': pose_stats(kps_3d),
        'joint2d_stats': pose_stats(kps_2d),
        'joint3d_rel_stats': pose_stats(kps_3d[..., 1:, :] -
                                        kps_3d[..., :1, :]),
        'joint2d_rel_stats': pose_stats(kps_2d[..., 1:, :] -
                                        kps_2d[..., :1, :]),
    }


# ------------------------------------------------------------------- output
def save_npz(path: Path, arrays: dict):
    """``np.savez`` with fixed member timestamps, so equal arrays give equal
    bytes (``np.savez`` stamps each member with the current time)."""
    with zipfile.ZipFile(path, mode='w', compression=zipfile.ZIP_STORED,
                         allowZip64=True) as archive:
        for key, value in arrays.items():
            info = zipfile.ZipInfo(f'{key}.npy', date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            with archive.open(info, 'w', force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(value),
                                          allow_pickle=False)


def save_pickle(path: Path, obj):
    with open(path, 'wb') as f:
        pickle.dump(obj, f, protocol=PICKLE_PROTOCOL)


def move_into_place(staging: Path, out_dir: Path, names):
    """Move finished files from the staging folder; the report goes last so
    its presence means the run completed."""
    stale = [p for p in sorted((out_dir / 'annotation_body3d').glob('fps*/*'))
             if str(p.relative_to(out_dir)) not in names]
    for path in stale:  # left alone: they may be wanted, but say so
        log(f'warning: {path} is from an earlier run and was not rewritten')
    for name in names:
        target = out_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / name, target)


def percentile(values, q):
    return round(float(np.percentile(values, q)), 3) if len(values) else None


# --------------------------------------------------------------------- main
def convert(args) -> dict:
    subjects = [s for s in ALL_SUBJECTS if s in args.subjects]
    names = set(args.sequences) if args.sequences else None
    with open(args.cameras, 'rb') as f:
        cameras = pickle.load(f)
    camera_ids = {}
    for subject in subjects:
        camera_ids[subject] = sorted(cam for subj, cam in cameras
                                     if subj == subject)
        if len(camera_ids[subject]) != 4:
            raise SystemExit(f'{args.cameras}: expected 4 cameras for '
                             f'{subject}, found {camera_ids[subject]}')
    skeleton = hx.ExpmapSkeleton.from_json(args.skeleton)

    requested, missing = list_sequences(args.expmap_dir, subjects, names)
    for seq in missing:
        log(f'missing, skipped: {seq.path}')
    kept, dropped = find_duplicates(requested, args.expmap_dir, subjects)
    for seq, same_as, reason in dropped:
        log(f'dropped {seq.key}: {reason} ({same_as})')
    kept_keys = {seq.key for seq in kept}
    for seq in requested:  # validate every file before any work
        expmap = hx.parse_expmap_text(seq.raw, seq.path)
        seq.raw = None
        if seq.key in kept_keys:
            seq.expmap = expmap
    if not kept:
        raise SystemExit('nothing to convert')

    splits = [s for s in SPLITS if any(seq.split == s for seq in kept)]
    buffers = {
        split: SplitBuffer(4 * sum(len(seq.expmap) for seq in kept
                                   if seq.split == split))
        for split in splits
    }
    report_sequences = []
    for seq in tqdm(kept, desc='converting', unit='seq'):
        subject_cameras = [cameras[(seq.subject, cam)]
                           for cam in camera_ids[seq.subject]]
        world = hx.place_in_world(seq.expmap, skeleton, subject_cameras)
        joints = world.joints_m[:, skeleton.h36m17_subset]
        num_frames = len(joints)
        for camera_id, camera in zip(camera_ids[seq.subject],
                                     subject_cameras):
            S, part = project_sequence(joints, camera)
            buffers[seq.split].add(
                image_names(seq, camera_id, num_frames), part, S,
                np.arange(num_frames))
        fit = world.tilt
        report_sequences.append(dict(
            sequence=seq.key,
            split=seq.split,
            imgname_prefix=f'{seq.subject}_{seq.mmpose_name}',
            frames=num_frames,
            floor_spread_mm=round(fit.floor_spread_mm, 3),
            floor_spread_at_identity_mm=round(world.initial_spread_mm, 3),
            tilt_pitch_deg=round(fit.pitch_deg, 3),
            tilt_roll_deg=round(fit.roll_deg, 3),
            uprightness=round(fit.uprightness, 4),
            fallback_used=world.fallback_used,
            heading_deg=world.heading_deg,
            image_margin_px=round(world.image_margin_px, 1)))
        seq.expmap = None  # free as we go

    out_dir = args.out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f'.{out_dir.name}.partial-',
                                    dir=out_dir.parent))
    try:
        written = ['annotation_body3d/cameras.pkl']
        (staging / 'annotation_body3d').mkdir()
        shutil.copyfile(args.cameras, staging / written[0])
        samples = {}
        for fps, step in FPS_STEPS.items():
            fps_dir = staging / 'annotation_body3d' / fps
            fps_dir.mkdir()
            samples[fps] = {}
            for split in splits:
                arrays = buffers[split].arrays(step)
                samples[fps][split] = len(arrays['imgname'])
                name = f'annotation_body3d/{fps}/h36m_{split}.npz'
                log(f'writing {name}: {samples[fps][split]} samples')
                save_npz(staging / name, arrays)
                written.append(name)
                if split == 'train':
                    for stat_name, stat in joint_stats(
                            arrays['S'], arrays['part']).items():
                        name = f'annotation_body3d/{fps}/{stat_name}.pkl'
                        save_pickle(staging / name, stat)
                        written.append(name)
                del arrays

        spreads = [s['floor_spread_mm'] for s in report_sequences]
        report = dict(
            subjects=subjects,
            samples=samples,
            floor_spread_mm=dict(
                definition='std over 50 fps frames of the lowest foot joint '
                'height',
                median=percentile(spreads, 50),
                p90=percentile(spreads, 90),
                above_limit=[s['sequence'] for s in report_sequences
                             if s['floor_spread_mm'] > FLOOR_SPREAD_LIMIT_MM],
                limit=FLOOR_SPREAD_LIMIT_MM),
            missing=[seq.key for seq in missing],
            dropped=[dict(sequence=seq.key, same_as=same_as, reason=reason)
                     for seq, same_as, reason in dropped],
            sequences=report_sequences)
        name = 'annotation_body3d/conversion_report.json'
        with open(staging / name, 'w') as f:
            json.dump(report, f, indent=1)
            f.write('\n')
        written.append(name)
        move_into_place(staging, out_dir, written)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return report


def stop_on_signal(signum, frame):
    # turns SIGTERM into an exception, so the staging folder is cleaned up
    raise SystemExit(f'stopped by signal {signum}; nothing was written')


def main(argv=None):
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, stop_on_signal)
    start = time.perf_counter()
    try:
        report = convert(args)
    except hx.ExpmapFileError as err:
        raise SystemExit(f'error: {err}')
    spread = report['floor_spread_mm']
    print(f'samples: {json.dumps(report["samples"])}')
    print(f'floor spread (mm): median {spread["median"]:.1f}, '
          f'90th percentile {spread["p90"]:.1f}, above '
          f'{spread["limit"]:.0f} mm: {spread["above_limit"]}')
    print(f'missing: {report["missing"]}')
    print(f'dropped: {[d["sequence"] for d in report["dropped"]]}')
    print(f'done in {time.perf_counter() - start:.0f} s -> {args.out_dir}')


if __name__ == '__main__':
    main()
