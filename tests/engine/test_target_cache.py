"""distillation.cache_targets: the teacher lifts the training set once, and
the student learns from those rows (issue 18 item 5)."""
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpose.registry import MODELS

import tipsy_gan.mmpose_modules  # noqa: F401
from tipsy_gan.core.distillation import teacher_depth
from tipsy_gan_helpers import small_h36m, tiny_config


def _student_after(tmp_path, data_root, name, cache):
    config = tiny_config(tmp_path / f'{name}.py', data_root, width=16,
                         batch_size=64, train_poses=512,
                         adversarial_epochs=1, distillation_epochs=2)
    cfg = Config.fromfile(config)
    cfg.merge_from_dict({'model.distillation': dict(cache_targets=cache),
                         'model.adversarial.network_dtype': None})
    cfg.work_dir = str(tmp_path / name)
    init_default_scope('mmpose')
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner.model, runner.train_dataloader.dataset


def test_cached_targets_teach_what_the_teacher_teaches(tmp_path,
                                                       tmp_path_factory):
    data_root = small_h36m(tmp_path_factory)
    plain, _ = _student_after(tmp_path, data_root, 'plain', cache=False)
    cached, dataset = _student_after(tmp_path, data_root, 'cached',
                                     cache=True)
    assert plain.target_cache is None
    # the teacher's depths of the training set, in the dataset's order
    assert torch.equal(cached.target_cache,
                       teacher_depth(cached.teacher, dataset.keypoint_labels))
    # the same teacher, so (up to batch-size rounding) the same student
    for a, b in zip(plain.student.state_dict().values(),
                    cached.student.state_dict().values()):
        assert torch.allclose(a.float(), b.float(), atol=1e-5), \
            (a - b).abs().max()


def _small_model(**kwargs):
    init_default_scope('mmpose')
    return MODELS.build(dict(type='TIPSyGAN', lifter=dict(width=16),
                             student=dict(width=16), **kwargs))


def test_the_cache_holds_the_corrected_targets_and_needs_the_index():
    torch.manual_seed(0)
    model = _small_model(
        distillation=dict(cache_targets=True),
        sign_choice=dict(rotations=2, use_for=('targets', )))
    model.start_distillation(model.lifter)
    poses = torch.randn(40, 16, 2)
    poses = poses / poses.abs().amax(dim=(1, 2), keepdim=True)
    model.cache_teacher_targets(poses)
    want = model.choose_signs(poses, teacher_depth(model.teacher, poses))
    assert torch.equal(model.target_cache, want)
    index = torch.tensor([3, 0, 39])
    assert torch.equal(model._cached_targets({'index': index}), want[index])
    with pytest.raises(ValueError, match='index'):
        model._cached_targets({'inputs': poses[:3]})
    empty = _small_model(distillation=dict(cache_targets=True))
    with pytest.raises(RuntimeError, match='no target cache'):
        empty._cached_targets({'index': index})
