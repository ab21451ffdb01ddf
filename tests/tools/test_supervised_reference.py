"""The supervised reference trains through MMPose's own PoseLifter and
TemporalRegressionHead on 3D labels, and tools/test.py evaluates it in mm."""
import json

from tipsy_gan_helpers import run_tool, small_h36m


def test_supervised_reference_trains_and_tests(tmp_path_factory, tmp_path):
    data_root = str(small_h36m(tmp_path_factory)) + '/'
    config = 'configs/supervised_h36m_cpu.py'
    sizes = ['model.backbone.width=32', 'model.head.in_channels=32']
    result = run_tool(
        'train.py', config, '--work-dir', tmp_path / 'work', '--cfg-options',
        *sizes, 'train_cfg.max_epochs=2', 'train_dataloader.batch_size=64',
        'train_dataloader.dataset.indices=1024',
        f'train_dataloader.dataset.data_root={data_root}')
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    assert 'loss_pose3d' in log
    out = tmp_path / 'metrics.json'
    result = run_tool(
        'test.py', config, tmp_path / 'work' / 'epoch_2.pth', '--work-dir',
        tmp_path / 'test', '--out', out, '--cfg-options', *sizes,
        'test_dataloader.dataset.indices=400',
        f'test_dataloader.dataset.data_root={data_root}')
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    metrics = json.loads(out.read_text())
    # metric predictions: unaligned MPJPE is reported too, in millimetres
    assert {'MPJPE', 'N-MPJPE', 'PA-MPJPE'} <= set(metrics)
    assert 0 < metrics['PA-MPJPE'] <= metrics['MPJPE'] < 2000
