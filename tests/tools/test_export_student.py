"""tools/export_student.py turns a TIPSyGAN checkpoint into a PoseLifter one
that MMPose's init_model and inference_pose_lifter_model accept as they are,
predicting what the student predicts; checkpoints of the wrong kind are
refused with a message that says what to do."""
import importlib.util
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner, load_checkpoint
from mmengine.structures import InstanceData
from mmpose.apis import inference_pose_lifter_model, init_model
from mmpose.registry import MODELS
from mmpose.structures import PoseDataSample

import tipsy_gan.mmpose_modules  # noqa: F401
from tipsy_gan.paths import REPO_ROOT
from tipsy_gan.utils.checkpoint_compat import load_local_checkpoint
from tipsy_gan_helpers import run_tool, small_h36m, tiny_config

torch.set_num_threads(1)
init_default_scope('mmpose')
LIFTER_CONFIG = str(REPO_ROOT / 'configs' / 'tipsy_h36m_lifter.py')
WIDTH = 32


def load_tipsy_gan(config, checkpoint):
    """A TIPSyGAN model with a checkpoint loaded as tools/test.py does."""
    cfg = Config.fromfile(config)
    model = MODELS.build(cfg.model)
    load_checkpoint(model, str(checkpoint), map_location='cpu')
    return model.eval()


def load_export_module():
    spec = importlib.util.spec_from_file_location(
        'export_student', REPO_ROOT / 'tools' / 'export_student.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """(config, work_dir) of a 1 + 1 epoch TIPSy run."""
    data_root = small_h36m(tmp_path_factory)
    tmp = tmp_path_factory.mktemp('export')
    config = tiny_config(tmp / 'tiny_tipsy.py', data_root, width=WIDTH,
                         adversarial_epochs=1, distillation_epochs=1)
    cfg = Config.fromfile(config)
    cfg.work_dir = str(tmp / 'work')
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    Runner.from_cfg(cfg).train()
    return config, tmp / 'work'


@pytest.fixture(scope='module')
def exported(trained, tmp_path_factory):
    _, work_dir = trained
    out = tmp_path_factory.mktemp('exported') / 'student.pth'
    result = run_tool('export_student.py', work_dir / 'epoch_2.pth', out)
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'width 32, 4 blocks, leaky_relu' in result.stdout
    return out


def fixture_pose_results(shared):
    """The MMPose fixture's 2D keypoints as one-person frames."""
    with np.load(shared / 'data' / 'mmpose_h36m_fixture' /
                 'test_h36m_body3d.npz') as data:
        keypoints = data['part'][..., :2].astype(np.float32)
    frames = []
    for pose in keypoints:
        sample = PoseDataSample()
        sample.pred_instances = InstanceData(
            keypoints=pose[None], keypoint_scores=np.ones((1, 17), np.float32),
            bboxes=np.array([[0, 0, 1000, 1000]], np.float32))
        sample.gt_instances = InstanceData()
        sample.track_id = 0
        frames.append([sample])
    return keypoints, frames


def test_exported_checkpoint_holds_the_student_only(exported):
    checkpoint = load_local_checkpoint(str(exported))
    assert checkpoint['meta']['kind'] == 'tipsy_pose_lifter'
    assert checkpoint['meta']['backbone']['width'] == WIDTH
    assert checkpoint['meta']['source_epoch'] == 2
    assert all(k.startswith('backbone.lifter.')
               for k in checkpoint['state_dict'])
    assert 'dataset_meta' in checkpoint['meta']


def test_export_is_byte_identical_across_runs(trained, exported, tmp_path):
    # a published checkpoint's sha256 must be reproducible
    _, work_dir = trained
    again = tmp_path / 'again.pth'
    result = run_tool('export_student.py', work_dir / 'epoch_2.pth', again)
    assert result.returncode == 0, result.stderr[-3000:]
    assert again.read_bytes() == exported.read_bytes()


def test_mmpose_loads_it_and_lifts_like_the_student(trained, exported,
                                                    shared):
    config, work_dir = trained
    model = init_model(LIFTER_CONFIG, str(exported), device='cpu',
                       cfg_options=dict(model=dict(backbone=dict(
                           width=WIDTH))))
    assert type(model).__name__ == 'PoseLifter'
    assert model.dataset_meta['dataset_name'] == 'h36m'
    keypoints, frames = fixture_pose_results(shared)
    gan = load_tipsy_gan(config, work_dir / 'epoch_2.pth')
    assert gan.test_network_name() == 'student'
    for index in range(len(frames)):
        results = inference_pose_lifter_model(model, frames[index:index + 1])
        assert len(results) == 1
        lifted = results[0].pred_instances.keypoints
        assert lifted.shape == (1, 17, 3)
        np.testing.assert_array_equal(lifted[0, 0], 0.0)
        # the TIPSyGAN student on the same pose, scaled back to pixels
        centred = keypoints[index] - keypoints[index, :1]
        scale = np.abs(centred).max()
        pose_2d = torch.from_numpy(centred[1:] / scale)[None]
        depth = gan(pose_2d, mode='tensor')[0].numpy()
        np.testing.assert_allclose(lifted[0, 1:, :2], centred[1:], rtol=1e-5,
                                   atol=1e-3)
        np.testing.assert_allclose(lifted[0, 1:, 2], depth * scale,
                                   rtol=1e-4, atol=1e-3)


def test_a_training_checkpoint_in_the_pose_lifter_config_is_refused(trained):
    _, work_dir = trained
    with pytest.raises(ValueError, match='export_student.py'):
        init_model(LIFTER_CONFIG, str(work_dir / 'epoch_2.pth'),
                   device='cpu',
                   cfg_options=dict(model=dict(backbone=dict(width=WIDTH))))


def test_a_pose_lifter_checkpoint_in_the_training_config_is_refused(
        trained, exported):
    config, _ = trained
    with pytest.raises(ValueError, match='exported PoseLifter'):
        load_tipsy_gan(config, exported)


def test_a_width_mismatch_is_refused(exported):
    with pytest.raises(ValueError, match='width/num_blocks do not match'):
        init_model(LIFTER_CONFIG, str(exported), device='cpu')


def test_checkpoints_of_other_kinds_are_not_exported(trained, exported):
    _, work_dir = trained
    export = load_export_module()
    undistilled = load_local_checkpoint(str(work_dir / 'epoch_1.pth'))
    with pytest.raises(export.ExportError, match='not been distilled'):
        export.export_student(undistilled)
    no_student = {'meta': {}, 'state_dict': {
        k: v for k, v in undistilled['state_dict'].items()
        if not k.startswith('student.')}}
    with pytest.raises(export.ExportError, match='no student'):
        export.export_student(no_student)
    with pytest.raises(export.ExportError, match='already an exported'):
        export.export_student(load_local_checkpoint(str(exported)))
    with pytest.raises(export.ExportError, match='not a TIPSyGAN'):
        export.export_student({'meta': {}, 'state_dict': {'w': torch.ones(1)}})


def test_the_cli_refuses_without_writing(trained, tmp_path):
    _, work_dir = trained
    out = tmp_path / 'never.pth'
    result = run_tool('export_student.py', work_dir / 'epoch_1.pth', out)
    assert result.returncode != 0
    assert 'cannot export' in result.stderr and 'epoch_1.pth' in result.stderr
    assert not out.exists() and not list(tmp_path.iterdir())
