"""What a GPU run sends back becomes a checkpoint the CPU tools use: the
standalone run's return shards -> tools/gpu/assemble_checkpoint.py ->
tools/export_student.py -> tools/test.py (finite metrics), and tools/test.py
with the TIPSy config on the assembled training checkpoint."""
import json
import math

import pytest

from standalone_helpers import PAPER_CONFIG, load_tool, run_standalone
from tipsy_gan.paths import REPO_ROOT
from tipsy_gan.utils.checkpoint_compat import load_local_checkpoint
from tipsy_gan_helpers import run_tool, small_h36m, tiny_config

WIDTH = 16


@pytest.fixture(scope='module')
def returned(tmp_path_factory):
    """(data_root, return dir) of a tiny standalone run on the small
    conversion's fps10 train poses."""
    data_root = small_h36m(tmp_path_factory)
    tmp = tmp_path_factory.mktemp('round_trip')
    poses = tmp / 'poses.npz'
    prepare = load_tool('prepare_data')
    prepare.prepare(prepare.parse_args(['--data-root', str(data_root),
                                        '--out', str(poses)]))
    out = tmp / 'run'
    result = run_standalone(
        tmp, PAPER_CONFIG, '--data', poses, '--out-dir', out,
        '--device', 'cpu', '--width', WIDTH, '--batch-size', 64,
        '--adversarial-epochs', 1, '--distillation-steps', 20,
        '--log-every', 20, '--no-checkpoint')
    assert result.returncode == 0, result.stderr[-4000:]
    assert not list(out.glob('*.pth'))
    return data_root, out


def metrics_of(config, checkpoint, data_root, work_dir, *options):
    out = work_dir / 'metrics.json'
    result = run_tool(
        'test.py', config, checkpoint, '--work-dir', work_dir, '--out', out,
        '--cfg-options', f'test_dataloader.dataset.data_root={data_root}/',
        'test_dataloader.dataset.indices=400', *options)
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(out.read_text())


@pytest.fixture(scope='module')
def assembled(returned, tmp_path_factory):
    _, out = returned
    path = tmp_path_factory.mktemp('assembled') / 'assembled.pth'
    result = run_tool('gpu/assemble_checkpoint.py',
                      out / 'tipsy_return.manifest.json', path)
    assert result.returncode == 0, result.stderr[-4000:]
    assert 'round trip checked' in result.stdout
    checkpoint = load_local_checkpoint(str(path))
    assert checkpoint['meta']['dataset_meta']['num_keypoints'] == 17
    assert 'tipsy_return' in checkpoint['meta']
    return path


def assert_finite(metrics):
    for key in ('PA-MPJPE', 'N-MPJPE'):
        assert math.isfinite(metrics[key]) and metrics[key] > 0, metrics


def test_assembled_student_exports_and_tests(returned, assembled, tmp_path):
    data_root, _ = returned
    student = tmp_path / 'student.pth'
    result = run_tool('export_student.py', assembled, student)
    assert result.returncode == 0, result.stderr[-4000:]
    assert f'width {WIDTH}, 4 blocks, leaky_relu' in result.stdout
    assert_finite(metrics_of(REPO_ROOT / 'configs' / 'tipsy_h36m_lifter.py',
                             student, data_root, tmp_path / 'lifter',
                             f'model.backbone.width={WIDTH}'))


def test_the_tipsy_config_tests_the_assembled_checkpoint(returned, assembled,
                                                         tmp_path):
    data_root, _ = returned
    config = tiny_config(tmp_path / 'tiny.py', data_root,
                         base='tipsy_h36m.py', width=WIDTH)
    assert_finite(metrics_of(config, assembled, data_root, tmp_path / 'w'))


def test_a_damaged_shard_is_refused(returned, tmp_path):
    _, out = returned
    copy = tmp_path / 'copy'
    copy.mkdir()
    for path in out.glob('tipsy_return.*'):
        (copy / path.name).write_bytes(path.read_bytes())
    shard = sorted(copy.glob('*.part'))[0]
    raw = bytearray(shard.read_bytes())
    raw[-1] ^= 0xFF
    shard.write_bytes(bytes(raw))
    result = run_tool('gpu/assemble_checkpoint.py',
                      copy / 'tipsy_return.manifest.json',
                      tmp_path / 'x.pth')
    assert result.returncode != 0
    assert 'sha256 differs' in result.stderr and shard.name in result.stderr
    assert not (tmp_path / 'x.pth').exists()
