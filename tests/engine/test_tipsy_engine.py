"""The optimiser-wrapper constructor, the stopping-rule hook and the NaN guard,
with mmengine's Runner on a small slice of converted Human3.6M."""
import copy
import math
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

import tipsy_gan.mmpose_modules  # noqa: F401
from tipsy_gan.engine.hooks import TIPSyStageHook
from tipsy_gan.engine.optim_constructor import TIPSyOptimWrapperConstructor
from tipsy_gan.models.tipsy_gan_model import TIPSyGAN
from tipsy_gan_helpers import small_h36m, tiny_config

torch.set_num_threads(1)

ADAM = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=2e-4))


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    return small_h36m(tmp_path_factory)


def make_runner(tmp_path, data_root, hooks=(), **config):
    cfg = Config.fromfile(
        tiny_config(tmp_path / 'config.py', data_root, **config))
    cfg.work_dir = str(tmp_path / 'work')
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    runner = Runner.from_cfg(cfg)
    for hook, priority in hooks:
        runner.register_hook(hook, priority)
    return runner


class LifterSnapshots(Hook):
    """Records the lifter's state at the end of every epoch."""

    def __init__(self):
        self.states = []

    def after_train_epoch(self, runner):
        self.states.append(copy.deepcopy(runner.model.lifter.state_dict()))


# ------------------------------------------------------------ constructor
def test_constructor_builds_disjoint_parameter_sets_per_network():
    model = TIPSyGAN(lifter=dict(type='PartSplitLifter', width=16),
                     student=dict(width=16), distillation_epochs=1)
    wrappers = TIPSyOptimWrapperConstructor(
        dict(generator=ADAM, discriminator=ADAM, student=ADAM))(model)
    assert set(wrappers.keys()) == {'generator', 'discriminator', 'student'}
    owned = {}
    for name, wrapper in wrappers.items():
        ids = {id(p) for g in wrapper.optimizer.param_groups
               for p in g['params']}
        owned[name] = ids
    assert owned['generator'] == {id(p) for p in model.lifter.parameters()}
    assert owned['discriminator'] == {
        id(p) for p in model.discriminator.parameters()}
    assert owned['student'] == {id(p) for p in model.student.parameters()}
    assert not (owned['generator'] & owned['discriminator'])
    teacher = {id(p) for p in model.teacher.parameters()}
    assert not teacher & set().union(*owned.values())
    assert wrappers['generator'].optimizer.defaults['lr'] == 2e-4


def test_constructor_errors_name_the_missing_or_unknown_entry():
    model = TIPSyGAN(lifter=dict(type='SoloLifter', width=16),
                     student=dict(width=16), distillation_epochs=1)
    with pytest.raises(KeyError, match="'student' entry"):
        TIPSyOptimWrapperConstructor(
            dict(generator=ADAM, discriminator=ADAM))(model)
    with pytest.raises(KeyError, match='critic'):
        TIPSyOptimWrapperConstructor(
            dict(generator=ADAM, discriminator=ADAM, student=ADAM,
                 critic=ADAM))(model)
    solo = TIPSyGAN(lifter=dict(type='SoloLifter', width=16))
    # a config's student entry is skipped for a model without a student
    wrappers = TIPSyOptimWrapperConstructor(
        dict(generator=ADAM, discriminator=ADAM, student=ADAM))(solo)
    assert set(wrappers.keys()) == {'generator', 'discriminator'}


# ------------------------------------------------------------ stopping
@pytest.mark.parametrize('stopping', [
    dict(type='nope'),
    dict(type='epoch'),
    dict(type='average', begin=3, end=2),
    dict(type='last', epoch=2),
    dict(type='average', begin=1, end=2, every_n_iters=0),
    dict(type='average', begin=1, end=2, every_n_iters=2.5),
    dict(type='epoch', epoch=2, every_n_iters=3),
])
def test_bad_stopping_rules_are_refused(stopping):
    with pytest.raises((ValueError, KeyError)):
        TIPSyStageHook(stopping)


def test_average_teacher_is_the_mean_of_the_lifter_snapshots(tmp_path,
                                                             data_root):
    snapshots = LifterSnapshots()
    runner = make_runner(tmp_path, data_root, [(snapshots, 'NORMAL')],
                         base='parts_h36m_cpu.py', adversarial_epochs=3,
                         distillation_epochs=0,
                         stopping="dict(type='average', begin=2, end=3)")
    runner.train()
    model = runner.model
    assert int(model.teacher_snapshots) == 2
    averaged = snapshots.states[1:3]
    for name, value in model.teacher.state_dict().items():
        if value.is_floating_point():
            mean = (averaged[0][name] + averaged[1][name]) / 2
            torch.testing.assert_close(value, mean, rtol=1e-6, atol=1e-7)
        else:  # BN batch counters: the latest
            assert torch.equal(value, averaged[1][name]), name
    # the lifter itself keeps its last weights
    for name, value in model.lifter.state_dict().items():
        assert torch.equal(value, snapshots.states[2][name])
    # without a student, the averaged lifter is what test evaluates
    assert model.test_network_name() == 'teacher'


class LifterIterationSnapshots(Hook):
    """Records the lifter's state after every iteration, with its epoch."""

    def __init__(self):
        self.states = []

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.states.append((runner.epoch + 1, batch_idx + 1,
                            copy.deepcopy(runner.model.lifter.state_dict())))


def test_every_n_iters_averages_snapshots_within_the_epoch_range(
        tmp_path, data_root):
    snapshots = LifterIterationSnapshots()
    # 512 poses / batch 64 = 8 iterations per epoch; every 3rd of epoch 2
    runner = make_runner(tmp_path, data_root, [(snapshots, 'NORMAL')],
                         base='parts_h36m_cpu.py', adversarial_epochs=3,
                         distillation_epochs=0,
                         stopping="dict(type='average', begin=2, end=2, "
                         "every_n_iters=3)")
    runner.train()
    model = runner.model
    averaged = [state for epoch, it, state in snapshots.states
                if epoch == 2 and it % 3 == 0]
    assert len(averaged) == 2 == int(model.teacher_snapshots)
    for name, value in model.teacher.state_dict().items():
        if value.is_floating_point():
            mean = (averaged[0][name] + averaged[1][name]) / 2
            torch.testing.assert_close(value, mean, rtol=1e-6, atol=1e-7)
    # neither the epoch-end lifter nor epoch 3's
    last = snapshots.states[-1][2]
    assert any(not torch.equal(v, last[k])
               for k, v in model.teacher.state_dict().items())


def test_epoch_teacher_is_that_epochs_lifter(tmp_path, data_root):
    snapshots = LifterSnapshots()
    runner = make_runner(tmp_path, data_root, [(snapshots, 'NORMAL')],
                         adversarial_epochs=3, distillation_epochs=1,
                         stopping="dict(type='epoch', epoch=2)")
    runner.train()
    model = runner.model
    assert int(model.teacher_snapshots) == 1
    for name, value in model.teacher.state_dict().items():
        assert torch.equal(value, snapshots.states[1][name]), name
    # and not the later lifter, which kept training in epoch 3
    assert any(not torch.equal(v, snapshots.states[2][k])
               for k, v in model.teacher.state_dict().items())
    assert int(model.distillation_iters) > 0


def test_stopping_rule_past_the_adversarial_stage_is_refused(tmp_path,
                                                             data_root):
    runner = make_runner(tmp_path, data_root, adversarial_epochs=2,
                         stopping="dict(type='epoch', epoch=3)")
    with pytest.raises(ValueError, match='past adversarial_epochs=2'):
        runner.train()


# ------------------------------------------------------------ NaN guard
class Poison(Hook):
    """Makes training non-finite from a given 0-based epoch on."""

    def __init__(self, epoch, where):
        self.epoch, self.where = epoch, where

    def before_train_epoch(self, runner):
        if runner.epoch == self.epoch and self.where == 'loss':
            runner.model.adversarial.w_reprojection = math.nan

    def after_train_epoch(self, runner):
        if runner.epoch == self.epoch and self.where == 'weights':
            with torch.no_grad():
                next(runner.model.discriminator.parameters()).fill_(math.inf)


def test_nan_loss_stops_with_the_loss_and_the_last_good_checkpoint(
        tmp_path, data_root):
    runner = make_runner(tmp_path, data_root, [(Poison(1, 'loss'), 'NORMAL')])
    with pytest.raises(RuntimeError) as error:
        runner.train()
    message = str(error.value)
    good = Path(runner.work_dir) / 'epoch_1.pth'
    assert 'non-finite loss at epoch 2' in message
    assert 'g_loss=nan' in message
    assert str(good) in message and good.is_file()
    assert not (Path(runner.work_dir) / 'epoch_2.pth').exists()


def test_nan_in_the_first_epoch_says_there_is_no_checkpoint(tmp_path,
                                                            data_root):
    runner = make_runner(tmp_path, data_root, [(Poison(0, 'loss'), 'NORMAL')])
    with pytest.raises(RuntimeError, match='no checkpoint has been saved'):
        runner.train()


def test_non_finite_weights_are_never_checkpointed(tmp_path, data_root):
    # ABOVE_NORMAL: after the epoch's updates, before CheckpointHook
    runner = make_runner(tmp_path, data_root,
                         [(Poison(1, 'weights'), 'ABOVE_NORMAL')])
    with pytest.raises(RuntimeError, match='non-finite weights after epoch 2'
                       ) as error:
        runner.train()
    assert str(Path(runner.work_dir) / 'epoch_1.pth') in str(error.value)
    assert not (Path(runner.work_dir) / 'epoch_2.pth').exists()


# ------------------------------------------------------------ data paths
def test_mmpose_pipeline_path_trains_exactly_like_the_fast_path(tmp_path,
                                                                data_root):
    """Human36mDataset + GenerateTarget + PackPoseInputs (3D targets packed
    but unread) and TIPSyPose2DDataset feed identical poses in the same
    order, so one epoch gives bit-identical networks."""
    pipeline_loader = f"""
train_dataloader = dict(
    batch_size=64, num_workers=0, persistent_workers=False,
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(_delete_=True, type='Human36mDataset',
                 ann_file='annotation_body3d/fps10/h36m_train.npz',
                 seq_len=1, causal=True, keypoint_2d_src='gt', indices=512,
                 data_root={str(data_root) + '/'!r},
                 data_prefix=dict(img='images/'),
                 pipeline=[
                     dict(type='GenerateTarget',
                          encoder=dict(type='TIPSyLiftingCodec',
                                       num_keypoints=17)),
                     dict(type='PackPoseInputs')]))
"""
    states = []
    for name, extra in (('fast', ''), ('pipeline', pipeline_loader)):
        (tmp_path / name).mkdir()
        runner = make_runner(tmp_path / name, data_root, adversarial_epochs=1,
                             distillation_epochs=0, base='parts_h36m_cpu.py',
                             extra=extra)
        runner.train()
        states.append(runner.model.state_dict())
    assert type(runner.train_dataloader.dataset).__name__ == 'Human36mDataset'
    for key, value in states[0].items():
        assert torch.equal(value, states[1][key]), key
