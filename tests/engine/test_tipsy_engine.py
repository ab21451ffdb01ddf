"""The optimiser-wrapper constructor, the two-stage loop with mmengine's
EMAHook as teacher averaging, and the NaN guard, with mmengine's Runner on a
small slice of converted Human3.6M."""
import copy
import math
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

import tipsy_gan.mmpose_modules  # noqa: F401
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


class LifterIterationSnapshots(Hook):
    """Records the lifter's state after every iteration, with its epoch."""

    def __init__(self):
        self.states = []

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.states.append((runner.epoch + 1, batch_idx + 1,
                            copy.deepcopy(runner.model.lifter.state_dict())))


# ------------------------------------------------------------ constructor
def test_constructor_builds_disjoint_parameter_sets_per_network():
    model = TIPSyGAN(lifter=dict(type='PartSplitLifter', width=16),
                     student=dict(width=16))
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
                     student=dict(width=16))
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


# ------------------------------------------------------------ stages
# 512 poses / batch 64 = 8 iterations an epoch.
def SWA(**kwargs):
    args = ', '.join(f'{k}={v!r}' for k, v in kwargs.items())
    return ("dict(type='EMAHook', ema_type='StochasticWeightAverage', "
            f"update_buffers=True, {args})")


def _assert_mean(state, snapshots):
    for name, value in state.items():
        if value.is_floating_point():
            mean = sum(s[name] for s in snapshots) / len(snapshots)
            torch.testing.assert_close(value, mean, rtol=1e-5, atol=1e-6)


def test_swa_teacher_is_the_mean_lifter_and_the_student_learns_it(
        tmp_path, data_root):
    snapshots = LifterIterationSnapshots()
    runner = make_runner(tmp_path, data_root, [(snapshots, 'NORMAL')],
                         adversarial_epochs=3, distillation_epochs=1,
                         averaging=SWA(begin_epoch=2))
    runner.train()
    model = runner.model
    assert bool(model.distilling)
    _assert_mean(model.teacher.state_dict(),
                 [s for epoch, _, s in snapshots.states if epoch in (2, 3)])
    # the EMAHook stopped at the switch: the lifter is untouched since, the
    # student trained, and the last checkpoint holds exactly the live model
    assert not any(type(h).__name__ == 'EMAHook' for h in runner.hooks)
    last = torch.load(Path(runner.work_dir) / 'epoch_4.pth',
                      weights_only=False)
    assert 'ema_state_dict' not in last
    for name, value in model.state_dict().items():
        assert torch.equal(last['state_dict'][name], value), name
    assert model.test_network_name() == 'student'


def test_iteration_swa_takes_every_nth_snapshot_of_its_range(tmp_path,
                                                            data_root):
    """begin_iter=8 + 3, interval=3: the 3rd and 6th iterations of epoch 2,
    as the CPU recipe's 'every 5 iterations of epoch 2' is written."""
    snapshots = LifterIterationSnapshots()
    runner = make_runner(tmp_path, data_root, [(snapshots, 'NORMAL')],
                         adversarial_epochs=2, distillation_epochs=1,
                         averaging=SWA(begin_iter=8 + 3, interval=3))
    runner.train()
    chosen = [s for epoch, it, s in snapshots.states
              if epoch == 2 and it in (3, 6)]
    _assert_mean(runner.model.teacher.state_dict(), chosen)


def test_ema_teacher_follows_the_exponential_average(tmp_path, data_root):
    snapshots = LifterIterationSnapshots()
    runner = make_runner(
        tmp_path, data_root, [(snapshots, 'NORMAL')], adversarial_epochs=1,
        distillation_epochs=1,
        averaging="dict(type='EMAHook', ema_type='ExponentialMovingAverage', "
        "momentum=0.3)")
    runner.train()
    states = [s for epoch, _, s in snapshots.states if epoch == 1]
    expected = copy.deepcopy(states[0])
    for state in states[1:]:
        for name in expected:
            if expected[name].is_floating_point() and \
                    name in dict(runner.model.lifter.named_parameters()):
                expected[name] = expected[name].lerp(state[name], 0.3)
    params = dict(runner.model.teacher.named_parameters())
    for name, value in params.items():
        torch.testing.assert_close(value, expected[name], rtol=1e-5,
                                   atol=1e-6)


def test_without_averaging_the_teacher_is_the_last_adversarial_lifter(
        tmp_path, data_root):
    snapshots = LifterIterationSnapshots()
    runner = make_runner(tmp_path, data_root, [(snapshots, 'NORMAL')],
                         adversarial_epochs=2, distillation_epochs=1)
    runner.train()
    last = [s for epoch, _, s in snapshots.states if epoch == 2][-1]
    for name, value in runner.model.teacher.state_dict().items():
        assert torch.equal(value, last[name]), name


def test_parts_checkpoints_hold_the_averaged_lifter(tmp_path, data_root):
    """Without a student, EMAHook averages to the end; its checkpoint's
    state_dict is the averaged lifter, which tools/test.py evaluates."""
    snapshots = LifterIterationSnapshots()
    runner = make_runner(tmp_path, data_root, [(snapshots, 'NORMAL')],
                         base='parts_h36m_cpu.py', adversarial_epochs=2,
                         distillation_epochs=0, averaging=SWA(begin_epoch=2))
    runner.train()
    assert runner.train_loop.max_epochs == 2
    state = torch.load(Path(runner.work_dir) / 'epoch_2.pth',
                       weights_only=False)['state_dict']
    _assert_mean({k[len('lifter.'):]: v for k, v in state.items()
                  if k.startswith('lifter.')},
                 [s for epoch, _, s in snapshots.states if epoch == 2])
    assert runner.model.test_network_name() == 'lifter'


def test_the_loop_counts_the_epochs_itself(tmp_path, data_root):
    runner = make_runner(tmp_path, data_root, base='parts_h36m_cpu.py',
                         adversarial_epochs=2, distillation_epochs=5)
    runner.train()  # no student: the distillation epochs are skipped
    assert runner.train_loop.max_epochs == 2
    (tmp_path / 'bad').mkdir()
    bad = make_runner(tmp_path / 'bad', data_root,
                      extra='train_cfg = dict(max_epochs=3)')
    with pytest.raises(ValueError, match='counts max_epochs itself'):
        bad.train()


# ------------------------------------------------------------ NaN guard
class Poison(Hook):
    """Makes training non-finite from a given 0-based epoch on."""

    def __init__(self, epoch, where):
        self.epoch, self.where = epoch, where

    def before_train_epoch(self, runner):
        if runner.epoch == self.epoch and self.where == 'loss':
            runner.model.config.w_reprojection = math.nan

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
def _one_epoch(tmp_path, data_root, extra=''):
    """(runner, model state) after one adversarial epoch of the tiny leg +
    torso config with ``extra`` config text."""
    runner = make_runner(tmp_path, data_root, adversarial_epochs=1,
                         distillation_epochs=0, base='parts_h36m_cpu.py',
                         extra=extra)
    runner.train()
    return runner, runner.model.state_dict()


@pytest.fixture(scope='module')
def fast_path_state(tmp_path_factory, data_root):
    """The networks after one epoch through TIPSyPose2DDataset."""
    return _one_epoch(tmp_path_factory.mktemp('fast'), data_root)[1]


def assert_same_networks(state, reference):
    assert state.keys() == reference.keys()
    for key, value in reference.items():
        assert torch.equal(value, state[key]), key


def test_mmpose_pipeline_path_trains_exactly_like_the_fast_path(
        tmp_path, data_root, fast_path_state):
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
    runner, state = _one_epoch(tmp_path, data_root, pipeline_loader)
    assert type(runner.train_dataloader.dataset).__name__ == 'Human36mDataset'
    assert_same_networks(state, fast_path_state)


def test_device_resident_data_trains_exactly_like_the_fast_path(
        tmp_path, data_root, fast_path_state):
    """TIPSyResidentPose2DDataset (one tensor, batches gathered by
    __getitems__, passed through by tipsy_batched_collate) feeds the same
    batches in the same order: one epoch gives bit-identical networks."""
    resident = """
train_dataloader['collate_fn'] = dict(type='tipsy_batched_collate')
train_dataloader['dataset'].update(type='TIPSyResidentPose2DDataset',
                                   device='cpu')
"""
    runner, state = _one_epoch(tmp_path, data_root, resident)
    dataset = runner.train_dataloader.dataset
    assert type(dataset).__name__ == 'TIPSyResidentPose2DDataset'
    assert len(dataset) == 512  # the tiny config's slice
    batch = dataset.__getitems__([3, 1, 2])
    torch.testing.assert_close(batch['inputs'],
                               dataset.keypoint_labels[[3, 1, 2]])
    assert_same_networks(state, fast_path_state)


def test_resident_data_errors_name_the_setting(monkeypatch, data_root):
    from tipsy_gan.datasets.pose_2d_dataset import (
        TIPSyResidentPose2DDataset, tipsy_batched_collate)
    dataset = TIPSyResidentPose2DDataset(
        data_root=str(data_root) + '/', data_prefix=dict(img='images/'),
        ann_file='annotation_body3d/fps10/h36m_train.npz', indices=16)
    with pytest.raises(TypeError, match="default_collate"):
        tipsy_batched_collate([dataset[0], dataset[1]])
    monkeypatch.setattr(torch.utils.data, 'get_worker_info', lambda: object())
    with pytest.raises(RuntimeError, match='num_workers=0'):
        dataset.__getitems__([0, 1])


# ------------------------------------------------------------ config only
THREE_PARTS = """
model = dict(
    lifter=dict(parts=dict(
        arms=['left_shoulder', 'left_elbow', 'left_wrist', 'right_shoulder',
              'right_elbow', 'right_wrist'],
        torso=['spine', 'thorax', 'neck_base', 'head'],
        legs=['right_hip', 'right_knee', 'right_foot', 'left_hip',
              'left_knee', 'left_foot'])),
    adversarial=dict(w_adversarial=dict(arms=0.05, torso=0.03, legs=0.05)))
"""
VARIANTS = {
    'three_parts': THREE_PARTS,
    'least_squares_gan': "model = dict(gan_loss=dict(_delete_=True, "
    "type='LeastSquaresGANLoss'))",
    'authors_gan': "model = dict(gan_loss=dict(real_label=0.8, "
    "flip_prob=0.1), discriminator=dict(dropout=0.5))",
    'orthographic': "model = dict(projection=dict(_delete_=True, "
    "type='Orthographic'))",
    'perspective': '',  # the CPU recipe's own
    'all_angle': "model = dict(lifter=dict(norm='layer'), "
    "terms=[dict(type='AllAngleConsistency', weight=1.0)])",
    # issue 11's stabilisers
    'r1_penalty': "model = dict(adversarial=dict(r1_weight=1.0))",
    'spectral_norm_d': "model = dict(discriminator=dict(spectral_norm=True))",
    'mirror': "model = dict(adversarial=dict(mirror_prob=0.5))",
    'bone_prior': "model = dict(priors=[dict(type='BoneProportionPrior', "
    "weight=1.0)])",
}


@pytest.mark.parametrize('variant', VARIANTS)
def test_method_changes_are_config_changes(tmp_path, data_root, variant):
    """A third part generator, another GAN loss, the other projection, eq.
    15's term on a LayerNorm lifter: one config entry each, trained for real
    (one adversarial epoch, then the distillation) with no code edited."""
    snapshots = LifterIterationSnapshots()
    runner = make_runner(tmp_path, data_root, [(snapshots, 'NORMAL')],
                         adversarial_epochs=1, distillation_epochs=1,
                         averaging=SWA(begin_epoch=1),
                         extra=VARIANTS[variant])
    runner.train()
    model = runner.model
    logs = runner.message_hub.log_scalars
    assert math.isfinite(logs['train/s_loss'].current())
    first, last = snapshots.states[0][2], snapshots.states[7][2]
    for part in model.lifter.parts:
        prefix = (f'generators.{part}.' if hasattr(model.lifter, 'generators')
                  else 'generator.')
        assert any(not torch.equal(v, first[k]) for k, v in last.items()
                   if k.startswith(prefix)), part
    if variant == 'three_parts':
        assert sorted(model.lifter.parts) == ['arms', 'legs', 'torso']
    if variant == 'least_squares_gan':
        assert type(model.config.gan_loss).__name__ == 'LeastSquaresGANLoss'
    if variant == 'all_angle':
        assert math.isfinite(logs['train/g_all_angle'].current())
    if variant == 'r1_penalty':
        assert logs['train/d_r1'].current() > 0
    if variant == 'bone_prior':
        assert math.isfinite(logs['train/g_bone_prior'].current())
    if variant == 'mirror':
        assert model.config.mirror_prob == 0.5
    if variant in ('orthographic', 'perspective'):
        assert type(model.config.projection).__name__ == variant.title()


@pytest.mark.parametrize('found, expected', [((), 'float32'),
                                             (('avx512_bf16', ), 'bfloat16')])
def test_checkpoint_meta_and_log_name_the_network_dtype_auto_picked(
        tmp_path, data_root, monkeypatch, found, expected):
    from tipsy_gan.core import networks
    monkeypatch.setattr(networks, 'cpu_bf16_instructions', lambda: found)
    networks._auto_network_dtype.cache_clear()
    try:
        runner = make_runner(
            tmp_path, data_root, base='parts_h36m_cpu.py',
            adversarial_epochs=1, distillation_epochs=0, train_poses=128,
            extra="model.update(adversarial=dict(renormalize_views=True, "
                  "network_dtype='auto'))\n"
                  # its own logger (mmengine keys loggers by this name), so
                  # the log file is this run's
                  f"experiment_name = 'network_dtype_{expected}'")
        runner.train()
    finally:
        networks._auto_network_dtype.cache_clear()
    meta = torch.load(Path(runner.work_dir) / 'epoch_1.pth',
                      weights_only=False)['meta']
    assert meta['network_dtype'] == expected
    log = next(Path(runner.work_dir).rglob('*.log')).read_text()
    assert f"network_dtype='auto': networks in {expected}" in log
