"""End-to-end checks of tools/dataset_converters/h36m_expmap_to_mmpose.py.

Runs the converter on a few real sequences of the shared release (once per
session, plus a second run for determinism) and checks the geometry, the
split hygiene and that MMPose's own Human36mDataset and lifting pipeline read
the result.
"""
import gzip
import importlib.util
import json
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tipsy_gan.core.skeleton import (BONES, H36M_ACTIONS, LEFT_FOOT,
                                     LEFT_HIP, LEFT_KNEE, RIGHT_FOOT,
                                     RIGHT_HIP, RIGHT_KNEE, ROOT, THORAX)
from tipsy_gan.paths import REPO_ROOT

CONVERTERS = REPO_ROOT / 'tools' / 'dataset_converters'
SCRIPT = CONVERTERS / 'h36m_expmap_to_mmpose.py'
# S5/directions_1 is missing from the release; S6/posing_1 duplicates
# S5/posing_1; S11/sittingdown_2 duplicates S5/sittingdown_2 (a leak).
SUBJECTS = ['S1', 'S5', 'S6', 'S9', 'S11']
SEQUENCES = ['directions_1', 'walking_1', 'posing_1', 'sittingdown_2']
ANN = 'annotation_body3d'


def run_converter(shared: Path, out_dir: Path, *extra, expmap_dir=None):
    command = [
        sys.executable, str(SCRIPT),
        '--expmap-dir', str(expmap_dir or shared / 'data' / 'h36m_expmap'),
        '--cameras', str(shared / 'data' / 'h36m_cameras' / 'cameras.pkl'),
        '--out-dir', str(out_dir), *extra]
    return subprocess.run(command, capture_output=True, text=True,
                          timeout=300)


def small_run_args():
    return ['--subjects', *SUBJECTS, '--sequences', *SEQUENCES]


@pytest.fixture(scope='session')
def converted(shared, tmp_path_factory):
    out = tmp_path_factory.mktemp('h36m_converted') / 'h36m'
    result = run_converter(shared, out, *small_run_args())
    assert result.returncode == 0, result.stderr
    return out, result


@pytest.fixture(scope='session')
def cameras(shared):
    with open(shared / 'data' / 'h36m_cameras' / 'cameras.pkl', 'rb') as f:
        return pickle.load(f)


@pytest.fixture(scope='module')
def hx():
    """tools/dataset_converters/h36m_expmap.py, the converter's maths, as a
    module (tools/ holds scripts, not packages)."""
    spec = importlib.util.spec_from_file_location(
        'h36m_expmap', CONVERTERS / 'h36m_expmap.py')
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='session')
def report(converted):
    out, _ = converted
    return json.loads((out / ANN / 'conversion_report.json').read_text())


def load_npz(out: Path, fps: str, split: str) -> dict:
    with np.load(out / ANN / fps / f'h36m_{split}.npz') as data:
        return {key: data[key] for key in data.files}


def video_rows(imgnames) -> dict:
    """Each video folder ('S9/S9_Walking_1.54138969/...jpg' ->
    'S9_Walking_1.54138969') and its rows, in folder order."""
    folders = np.array([name.split('/')[1] for name in imgnames])
    return {folder: np.flatnonzero(folders == folder)
            for folder in np.unique(folders)}


def camera_of(cameras, imgname):
    folder = imgname.split('/')[1]
    return cameras[(folder.split('_', 1)[0], folder.split('.')[1])]


# ----------------------------------------------------------- left and right
def chirality_scores(S: np.ndarray, part: np.ndarray):
    """How consistently the poses are a real (not mirrored) human body.

    Knees flex forward, so the knees' offset from the hip-ankle lines points
    to the body's anatomical front. For a real body that front agrees with
    (left hip - right hip) x (pelvis -> thorax); a mirror image reverses it.
    Against the camera: when the front points at the camera (negative
    camera-space depth direction), the subject's left hip must appear on the
    image's right of its right hip (larger pixel x).
    Only frames with the knees clearly bent (> 5 cm) are used.
    Returns (fraction agreeing in 3D, fraction correct in the image).
    """
    S = S[..., :3]
    knee_front = (S[:, RIGHT_KNEE] - (S[:, RIGHT_HIP] + S[:, RIGHT_FOOT]) / 2
                  + S[:, LEFT_KNEE] - (S[:, LEFT_HIP] + S[:, LEFT_FOOT]) / 2)
    bend = np.linalg.norm(knee_front, axis=1)
    bent = bend > 0.05
    hips_front = np.cross(S[:, LEFT_HIP] - S[:, RIGHT_HIP],
                          S[:, THORAX] - S[:, ROOT])
    agree_3d = np.mean(np.sum(knee_front * hips_front, axis=1)[bent] > 0)
    facing_camera = bent & (knee_front[:, 2] < -0.5 * bend)  # within 60 deg
    assert facing_camera.sum() > 100, 'too few frames facing a camera'
    hips_x = part[facing_camera][:, [LEFT_HIP, RIGHT_HIP], 0]
    return agree_3d, np.mean(hips_x[:, 0] > hips_x[:, 1])


def mirrored_copy(S, imgnames, cameras):
    """The same motion mirrored in the world (as a plain y/z swap would do),
    seen through the same cameras."""
    from mmpose.utils.camera import SimpleCamera
    S_out, part_out = np.empty_like(S[..., :3]), np.empty_like(S[..., :2])
    for rows in video_rows(imgnames).values():
        cam = camera_of(cameras, imgnames[rows[0]])
        camera = SimpleCamera(cam)
        world = camera.camera_to_world(S[rows, :, :3])
        world[..., 1] *= -1  # reflect y: left and right exchange
        S_out[rows] = camera.world_to_camera(world)
        part_out[rows] = camera.camera_to_pixel(S_out[rows])[..., :2]
    return S_out, part_out


def test_left_stays_left(converted, cameras):
    out, _ = converted
    for split in ('train', 'test'):
        data = load_npz(out, 'fps10', split)
        agree_3d, in_image = chirality_scores(data['S'], data['part'])
        assert agree_3d > 0.9 and in_image > 0.95, (split, agree_3d, in_image)

        S_mirror, part_mirror = mirrored_copy(data['S'], data['imgname'],
                                              cameras)
        agree_3d, in_image = chirality_scores(S_mirror, part_mirror)
        assert agree_3d < 0.1 and in_image < 0.05, (split, agree_3d, in_image)


# ---------------------------------------------------------------- geometry
def test_layout_matches_mmpose_fixture(converted, shared):
    out, _ = converted
    with np.load(shared / 'data' / 'mmpose_h36m_fixture' /
                 'test_h36m_body3d.npz') as fixture:
        reference = {key: fixture[key] for key in fixture.files}
    for fps in ('fps50', 'fps10'):
        for split in ('train', 'test'):
            data = load_npz(out, fps, split)
            assert sorted(data) == sorted(reference)
            n = len(data['imgname'])
            for key, ref in reference.items():
                assert data[key].dtype.kind == ref.dtype.kind, key
                assert data[key].shape[1:] == ref.shape[1:], key
                assert len(data[key]) == n, key
            assert np.all(data['S'][..., 3] == 1)
            assert np.all(data['part'][..., 2] == 1)
            assert np.isfinite(data['S']).all()
            # camera-space metres, depth like the real recordings
            depth = np.median(data['S'][:, 0, 2])
            assert 4.0 < depth < 6.0, depth
            assert data['S'][..., 2].min() > 2.0


def test_image_names_and_frames(converted):
    out, _ = converted
    fps50 = load_npz(out, 'fps50', 'train')['imgname']
    fps10 = load_npz(out, 'fps10', 'train')['imgname']
    assert fps50[0] == ('S1/S1_Directions_1.54138969/'
                        'S1_Directions_1.54138969_000001.jpg')
    frames10 = np.array([int(name[-10:-4]) for name in fps10])
    assert np.all((frames10 - 1) % 5 == 0)
    assert set(fps10) <= set(fps50)
    assert len(fps50) == pytest.approx(5 * len(fps10), rel=0.01)
    for name in fps10:  # MMPose's per-action grouping
        action = name.split('/')[-1].split('_', 1)[1].split('.')[0]
        assert action.split('_')[0] in H36M_ACTIONS, name


def test_bone_lengths_constant(converted):
    out, _ = converted
    for split in ('train', 'test'):
        data = load_npz(out, 'fps50', split)
        for folder, rows in video_rows(data['imgname']).items():
            joints = data['S'][rows, :, :3]
            for parent, child in BONES:
                length = np.linalg.norm(joints[:, child] - joints[:, parent],
                                        axis=-1)
                assert length.std() < 1e-3, (folder, parent, child)


def test_keypoints_inside_images(converted, cameras):
    out, _ = converted
    for split in ('train', 'test'):
        data = load_npz(out, 'fps50', split)
        for folder, rows in video_rows(data['imgname']).items():
            cam = camera_of(cameras, data['imgname'][rows[0]])
            xy = data['part'][rows, :, :2]
            assert xy.min() >= 0, folder
            assert (xy[..., 0] < cam['w']).all(), folder
            assert (xy[..., 1] < cam['h']).all(), folder
            # the stored box is the keypoints' box
            np.testing.assert_allclose(
                data['center'][rows], (xy.min(1) + xy.max(1)) / 2)


def test_floor_contact(report):
    spreads = [seq['floor_spread_mm'] for seq in report['sequences']]
    assert np.median(spreads) < 10.0, spreads
    assert report['floor_spread_mm']['median'] == pytest.approx(
        np.median(spreads))


def test_stats_files(converted):
    out, _ = converted
    for fps in ('fps50', 'fps10'):
        train = load_npz(out, fps, 'train')
        shapes = dict(joint3d_stats=(17, 3), joint2d_stats=(17, 2),
                      joint3d_rel_stats=(16, 3), joint2d_rel_stats=(16, 2))
        for name, shape in shapes.items():
            with open(out / ANN / fps / f'{name}.pkl', 'rb') as f:
                stats = pickle.load(f)
            assert sorted(stats) == ['mean', 'std']
            assert stats['mean'].shape == stats['std'].shape == shape
        with open(out / ANN / fps / 'joint3d_rel_stats.pkl', 'rb') as f:
            rel = pickle.load(f)
        kps = train['S'][..., :3]
        np.testing.assert_allclose(
            rel['mean'], (kps[:, 1:] - kps[:, :1]).mean(0), atol=1e-12)
    with open(out / ANN / 'cameras.pkl', 'rb') as f:
        assert len(pickle.load(f)) >= 28


# ------------------------------------------------------------ split hygiene
def test_duplicates_and_leaks_removed(converted, report):
    out, result = converted
    dropped = {d['sequence']: d['same_as'] for d in report['dropped']}
    assert dropped == {'S6/posing_1': 'S5/posing_1',
                       'S11/sittingdown_2': 'S5/sittingdown_2'}
    assert 'S11/sittingdown_2' in result.stderr

    train = load_npz(out, 'fps10', 'train')
    test = load_npz(out, 'fps10', 'test')
    test_folders = set(video_rows(test['imgname']))
    assert not any(f.startswith('S11_SittingDown_2.') for f in test_folders)
    assert not test_folders & set(video_rows(train['imgname']))
    assert {f.split('_', 1)[0] for f in test_folders} == {'S9', 'S11'}

    # content-level: no test motion equals a training motion (pairwise joint
    # distances do not depend on camera or placement)
    def signatures(data):
        result = {}
        for folder, rows in video_rows(data['imgname']).items():
            joints = data['S'][rows[:10], :, :3]
            result[folder] = np.linalg.norm(
                joints[:, :, None] - joints[:, None], axis=-1)
        return result

    train_signatures = signatures(train)
    for folder, dist in signatures(test).items():
        for train_folder, train_dist in train_signatures.items():
            assert not np.allclose(dist, train_dist, atol=1e-5), (
                folder, train_folder)


def test_missing_sequence_reported(converted, report):
    out, result = converted
    assert report['missing'] == ['S5/directions_1']
    assert 'S5/directions_1.txt.gz' in result.stderr
    names = load_npz(out, 'fps10', 'train')['imgname']
    assert not any(n.startswith('S5/S5_Directions_1.') for n in names)


def test_sample_counts_reported(converted, report):
    out, _ = converted
    for fps in ('fps50', 'fps10'):
        for split in ('train', 'test'):
            count = len(load_npz(out, fps, split)['imgname'])
            assert report['samples'][fps][split] == count
    frames = {s['sequence']: s['frames'] for s in report['sequences']}
    assert report['samples']['fps50']['test'] == 4 * sum(
        n for key, n in frames.items() if key.split('/')[0] in ('S9', 'S11'))


# ------------------------------------------------------------- behaviour
def test_deterministic(converted, shared, tmp_path):
    out, _ = converted
    again = tmp_path / 'again'
    result = run_converter(shared, again, *small_run_args())
    assert result.returncode == 0, result.stderr
    files = sorted(p.relative_to(out) for p in out.rglob('*') if p.is_file())
    assert files == sorted(
        p.relative_to(again) for p in again.rglob('*') if p.is_file())
    for name in files:
        assert (out / name).read_bytes() == (again / name).read_bytes(), name


def test_corrupt_file_stops_without_output(shared, tmp_path):
    expmap = tmp_path / 'expmap'
    shutil.copytree(shared / 'data' / 'h36m_expmap' / 'S9', expmap / 'S9')
    bad = expmap / 'S9' / 'walking_1.txt.gz'
    packed = bad.read_bytes()
    bad.write_bytes(packed[:len(packed) // 2])  # truncated gzip
    with pytest.raises((EOFError, OSError)):
        gzip.decompress(bad.read_bytes())

    parent = tmp_path / 'outputs'
    parent.mkdir()
    result = run_converter(shared, parent / 'h36m', '--subjects', 'S9',
                           '--sequences', 'directions_1', 'walking_1',
                           expmap_dir=expmap)
    assert result.returncode != 0
    assert str(bad) in result.stderr
    assert list(parent.rglob('*')) == []


def test_only_test_subjects_writes_test_split(shared, tmp_path):
    # a small copy of the release, so that the leak check reads few files
    source, expmap = shared / 'data' / 'h36m_expmap', tmp_path / 'expmap'
    for name in ('S5/sittingdown_2', 'S11/sittingdown_2', 'S11/posing_2'):
        (expmap / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source / f'{name}.txt.gz', expmap / f'{name}.txt.gz')
    out = tmp_path / 'h36m'
    result = run_converter(shared, out, '--subjects', 'S11', expmap_dir=expmap)
    assert result.returncode == 0, result.stderr
    written = sorted(str(p.relative_to(out)) for p in out.rglob('*')
                     if p.is_file())
    assert written == [f'{ANN}/cameras.pkl', f'{ANN}/conversion_report.json',
                       f'{ANN}/fps10/h36m_test.npz',
                       f'{ANN}/fps50/h36m_test.npz']
    report = json.loads((out / ANN / 'conversion_report.json').read_text())
    # the leak is caught even though S5 itself is not converted
    assert report['dropped'] == [dict(
        sequence='S11/sittingdown_2', same_as='S5/sittingdown_2',
        reason='test sequence identical to a training one (leak)')]
    assert [s['sequence'] for s in report['sequences']] == ['S11/posing_2']
    assert len(report['missing']) == 28  # absent files are skipped


# ------------------------------------------------------------------ MMPose
def test_mmpose_dataset_and_lifting_pipeline(converted):
    from mmpose.utils import register_all_modules
    register_all_modules()
    from mmpose.datasets import Human36mDataset

    out, _ = converted
    fps_dir = out / ANN / 'fps10'
    stats = {}
    for name in ('joint3d_rel_stats', 'joint2d_stats'):
        with open(fps_dir / f'{name}.pkl', 'rb') as f:
            stats[name] = pickle.load(f)
    # as configs/body_3d_keypoint/image_pose_lift/h36m/
    # image-pose-lift_tcn_8xb64-200e_h36m.py
    codec = dict(
        type='ImagePoseLifting',
        num_keypoints=17,
        root_index=0,
        remove_root=True,
        target_mean=stats['joint3d_rel_stats']['mean'],
        target_std=stats['joint3d_rel_stats']['std'],
        keypoints_mean=stats['joint2d_stats']['mean'],
        keypoints_std=stats['joint2d_stats']['std'])
    pipeline = [
        dict(type='GenerateTarget', encoder=codec),
        dict(type='PackPoseInputs',
             meta_keys=('id', 'category_id', 'target_img_path',
                        'flip_indices', 'target_root', 'target_root_index',
                        'target_mean', 'target_std'))
    ]
    for split in ('test', ):  # the train file has the same layout
        dataset = Human36mDataset(
            ann_file=f'{ANN}/fps10/h36m_{split}.npz',
            data_root=str(out),
            data_prefix=dict(img='images/'),
            camera_param_file=f'{ANN}/cameras.pkl',
            seq_len=1,
            causal=True,
            keypoint_2d_src='gt',
            pipeline=pipeline,
            test_mode=True)
        assert len(dataset) == len(load_npz(out, 'fps10', split)['imgname'])
        assert dataset.metainfo['num_keypoints'] == 17
        sample = dataset[len(dataset) // 2]
        assert tuple(sample['inputs'].shape) == (34, 1)
        labels = sample['data_samples'].gt_instance_labels
        assert tuple(labels.lifting_target_label.shape) == (1, 16, 3)
        assert np.isfinite(labels.lifting_target_label.numpy()).all()
        info = dataset.get_data_info(0)
        assert set(info['camera_param']) >= {'R', 'T', 'f', 'c', 'k', 'p'}


# ------------------------------------------------------- reconstruction maths
def test_release_to_world_is_a_rotation(hx):
    release_to_world = hx.RELEASE_TO_WORLD
    np.testing.assert_allclose(release_to_world @ release_to_world.T,
                               np.eye(3), atol=0)
    assert np.linalg.det(release_to_world) == pytest.approx(1.0)  # no mirror
    # release y (up) -> world z, release z (facing) -> world -y
    np.testing.assert_allclose(np.array([0., 1., 0.]) @ release_to_world,
                               [0., 0., 1.])


def test_expmap_to_rotmat_is_rodrigues(hx):
    from scipy.spatial.transform import Rotation
    rotvecs = np.random.default_rng(0).normal(size=(50, 3))
    rotvecs[0] = 0
    np.testing.assert_allclose(hx.expmap_to_rotmat(rotvecs),
                               Rotation.from_rotvec(rotvecs).as_matrix(),
                               atol=1e-12)


def test_fit_tilt_recovers_a_known_tilt(shared, hx):
    skeleton = hx.ExpmapSkeleton.from_json(
        shared / 'data' / 'h36m_expmap_skeleton.json')
    expmap = hx.load_expmap_file(
        shared / 'data' / 'h36m_expmap' / 'S1' / 'walking_1.txt.gz')
    positions = hx.forward_kinematics(expmap, skeleton)
    fit = hx.fit_tilt(positions, skeleton)
    assert fit.floor_spread_mm < 10
    up = hx.up_vectors(*np.deg2rad([fit.pitch_deg, fit.roll_deg]))
    # tilting every frame by Q moves the best up vector to Q^T up
    extra = hx.tilt_rotation(np.deg2rad(8.0), np.deg2rad(-6.0))
    refit = hx.fit_tilt(positions @ extra, skeleton)
    up_refit = hx.up_vectors(*np.deg2rad([refit.pitch_deg, refit.roll_deg]))
    angle = np.degrees(np.arccos(np.clip(up_refit @ (extra.T @ up), -1, 1)))
    assert angle < 0.5
    assert refit.floor_spread_mm == pytest.approx(fit.floor_spread_mm,
                                                  abs=0.5)
