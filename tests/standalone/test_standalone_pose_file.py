"""The compact pose file: tools/gpu/prepare_data.py writes exactly the poses
TIPSyPose2DDataset trains on, the same bytes every time; the loader puts
them on the device as one tensor and refuses a corrupt file, another format
version and another shape, each with its own error."""
import hashlib

import numpy as np
import pytest
import torch

from tipsy_gan.paths import REPO_ROOT
from tipsy_gan.standalone import data
from tipsy_gan.standalone.data import (PoseFileCorruptError, PoseFileError,
                                       PoseFileShapeError,
                                       PoseFileVersionError, load_pose_file,
                                       poses_to_device, write_npz,
                                       write_pose_file)
from tipsy_gan_helpers import (modules_imported_by, run_tool, small_h36m,
                               top_level)

torch.set_num_threads(1)


def poses(n=1000, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    p = rng.uniform(-1, 1, size=(n, 16, 2)).astype(dtype)
    return p


def write(path, array=None, **kwargs):
    args = dict(subjects=['S1'], source='annotation_body3d/fps10/x.npz',
                source_sha256='0' * 64)
    args.update(kwargs)
    return write_pose_file(path, poses() if array is None else array, **args)


def members(path):
    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_prepare_data_writes_the_datasets_poses_the_same_bytes_each_time(
        tmp_path, tmp_path_factory):
    data_root = small_h36m(tmp_path_factory)
    out = tmp_path / 'a.npz'
    result = run_tool('gpu/prepare_data.py', '--data-root', data_root,
                      '--out', out)
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'poses float32 (N, 16, 2)' in result.stdout

    # exactly what TIPSyPose2DDataset yields for the same files, and the
    # same bytes when written again
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpose.registry import DATASETS

    import tipsy_gan.mmpose_modules  # noqa: F401
    from standalone_helpers import load_tool
    init_default_scope('mmpose')
    cfg = Config.fromfile(REPO_ROOT / 'configs' / 'tipsy_h36m.py')
    dataset_cfg = cfg.train_dataloader.dataset
    dataset_cfg.update(data_root=f'{data_root}/',
                       ann_file='annotation_body3d/fps10/h36m_train.npz')
    again = tmp_path / 'b.npz'
    load_tool('prepare_data').write_from_dataset_config(dataset_cfg, again)
    assert sha(again) == sha(out)
    expected = DATASETS.build(dataset_cfg).keypoint_labels
    loaded = load_pose_file(out)
    assert loaded.header['subjects'] == ['S1']
    assert loaded.header['source'] == 'annotation_body3d/fps10/h36m_train.npz'
    assert loaded.header['num_poses'] == len(expected) > 1000
    assert torch.equal(torch.from_numpy(loaded.poses), expected)


def test_the_set_goes_to_the_device_as_one_float32_tensor(tmp_path):
    array = poses(300)
    write(tmp_path / 'f32.npz', array)
    write(tmp_path / 'f16.npz', array.astype(np.float16))
    on_device = poses_to_device(load_pose_file(tmp_path / 'f32.npz'), 'cpu')
    assert on_device.dtype == torch.float32 and on_device.is_contiguous()
    assert torch.equal(on_device, torch.from_numpy(array))
    half = poses_to_device(load_pose_file(tmp_path / 'f16.npz'), 'cpu')
    assert half.dtype == torch.float32 and half.shape == (300, 16, 2)
    assert torch.allclose(half, on_device, atol=1e-3)


def test_a_corrupt_file_is_refused(tmp_path):
    path = tmp_path / 'p.npz'
    write(path)
    raw = bytearray(path.read_bytes())

    flipped = tmp_path / 'flipped.npz'  # a byte of the poses changed
    bad = bytearray(raw)
    bad[len(bad) // 2] ^= 0xFF
    flipped.write_bytes(bytes(bad))
    with pytest.raises(PoseFileCorruptError):
        load_pose_file(flipped)

    truncated = tmp_path / 'truncated.npz'
    truncated.write_bytes(bytes(raw[:len(raw) // 3]))
    with pytest.raises(PoseFileCorruptError):
        load_pose_file(truncated)

    # a well-formed archive whose poses no longer match their checksum
    arrays = members(path)
    arrays['poses'] = arrays['poses'].copy()
    arrays['poses'][0, 0, 0] += 0.5
    write_npz(tmp_path / 'resummed.npz', arrays)
    with pytest.raises(PoseFileCorruptError, match='checksum'):
        load_pose_file(tmp_path / 'resummed.npz')

    arrays = members(path)
    del arrays['subjects']
    write_npz(tmp_path / 'incomplete.npz', arrays)
    with pytest.raises(PoseFileCorruptError, match='subjects'):
        load_pose_file(tmp_path / 'incomplete.npz')


def test_another_format_version_is_refused(tmp_path):
    path = tmp_path / 'p.npz'
    write(path)
    for key, value in (('format_version', np.asarray(2, dtype=np.int64)),
                       ('format', np.asarray('something-else'))):
        arrays = members(path)
        arrays[key] = value
        write_npz(tmp_path / 'v.npz', arrays)
        with pytest.raises(PoseFileVersionError):
            load_pose_file(tmp_path / 'v.npz')


def test_another_shape_is_refused(tmp_path):
    path = tmp_path / 'p.npz'
    write(path)
    for key, array in (('17 joints', poses()[:, :1].repeat(17, 1)),
                       ('3 coordinates', np.zeros((10, 16, 3), np.float32)),
                       ('float64', poses().astype(np.float64))):
        arrays = members(path)
        arrays['poses'] = array
        arrays['num_poses'] = np.asarray(len(array), dtype=np.int64)
        arrays['poses_sha256'] = np.asarray(data.poses_sha256(array))
        write_npz(tmp_path / 's.npz', arrays)
        with pytest.raises(PoseFileShapeError):
            load_pose_file(tmp_path / 's.npz')
    arrays = members(path)
    arrays['num_poses'] = np.asarray(999, dtype=np.int64)
    write_npz(tmp_path / 'n.npz', arrays)
    with pytest.raises(PoseFileShapeError, match='num_poses'):
        load_pose_file(tmp_path / 'n.npz')
    # the writer refuses them too; all are PoseFileErrors (ValueErrors)
    with pytest.raises(PoseFileShapeError):
        write(tmp_path / 'w.npz', np.zeros((4, 17, 2), np.float32))
    assert issubclass(PoseFileShapeError, PoseFileError)
    assert issubclass(PoseFileError, ValueError)


def test_the_standalone_modules_import_no_compiled_openmmlab_stack():
    loaded = modules_imported_by(*(
        f'tipsy_gan.standalone.{m}'
        for m in ('data', 'recipe', 'trainer', 'lifting', 'checkpoint')))
    bad = sorted(top_level(loaded) & {'mmcv', 'mmpose', 'mmdet', 'cv2',
                                      'xtcocotools'})
    # the core, the research signals, the standalone package and the
    # torch-only utilities
    allowed = {'tipsy_gan.utils', 'tipsy_gan.utils.atomic_write',
               'tipsy_gan.utils.epochs', 'tipsy_gan.utils.checkpoint_kinds'}
    ours = sorted(m for m in loaded if m.startswith('tipsy_gan.')
                  and m.split('.')[1] not in ('core', 'research',
                                              'standalone')
                  and m not in allowed)
    assert not bad and not ours, (bad, ours)
