"""TIPSyGAN's train_step, stages, inputs, predictions and random state."""
import copy

import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData
from mmpose.structures import PoseDataSample

import tipsy_gan.mmpose_modules  # noqa: F401
from tipsy_gan.engine.optim_constructor import TIPSyOptimWrapperConstructor
from tipsy_gan.core.inputs import lifter_input_2d
from tipsy_gan.models.tipsy_gan_model import TIPSyGAN

torch.set_num_threads(1)

ADAM = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3))


def build(lifter='PartSplitLifter', student=True, seed=0, **kwargs):
    torch.manual_seed(seed)
    model = TIPSyGAN(lifter=dict(type=lifter, width=32),
                     student=dict(width=32) if student else None,
                     seed=seed, **kwargs)
    names = ['generator', 'discriminator'] + (['student'] if student else [])
    wrappers = TIPSyOptimWrapperConstructor({n: ADAM for n in names})(model)
    return model, wrappers


def poses(n=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 16, 2, generator=g) * 2 - 1


def params(module):
    return {k: v.detach().clone() for k, v in module.named_parameters()}


def changed(module, before):
    return {k for k, v in module.named_parameters()
            if not torch.equal(v, before[k])}


def test_adversarial_step_updates_generators_and_discriminator_only():
    model, wrappers = build()
    before = {n: params(getattr(model, n))
              for n in ('lifter', 'discriminator', 'student', 'teacher')}
    logs = model.train_step({'inputs': poses()}, wrappers)
    changed_lifter = changed(model.lifter, before['lifter'])
    assert any(k.startswith('generators.legs.') for k in changed_lifter)
    assert any(k.startswith('generators.torso.') for k in changed_lifter)
    assert changed(model.discriminator, before['discriminator'])
    assert not changed(model.student, before['student'])
    assert not changed(model.teacher, before['teacher'])
    # every loss and statistic logged separately, as detached scalars
    expected = {'d_loss', 'd_real', 'd_fake', 'd_real_score', 'd_fake_score',
                'g_loss', 'g_adversarial', 'g_depth_abs'}
    expected |= {f'g_{kind}_{part}' for part in ('legs', 'torso')
                 for kind in ('reprojection', 'ninety', 'total')}
    assert set(logs) == expected
    assert all(v.dim() == 0 and not v.requires_grad for v in logs.values())
    assert torch.allclose(logs['g_loss'],
                          logs['g_total_legs'] + logs['g_total_torso'])


def test_distillation_step_updates_only_the_student():
    model, wrappers = build()
    model.train_step({'inputs': poses()}, wrappers)
    model.start_distillation(model.lifter)
    before = {n: params(getattr(model, n))
              for n in ('lifter', 'discriminator', 'student', 'teacher')}
    teacher_buffers = copy.deepcopy(model.teacher.state_dict())
    logs = model.train_step({'inputs': poses(seed=1)}, wrappers)
    assert set(logs) == {'s_loss'}
    assert changed(model.student, before['student'])
    for name in ('lifter', 'discriminator', 'teacher'):
        assert not changed(getattr(model, name), before[name]), name
    # the frozen teacher runs in eval mode: its BN statistics stay put
    for k, v in model.teacher.state_dict().items():
        assert torch.equal(v, teacher_buffers[k]), k
    for k, v in model.lifter.state_dict().items():
        assert torch.equal(v, model.teacher.state_dict()[k]), k


def test_the_student_can_also_learn_rotated_views_of_the_teacher():
    model, wrappers = build(distillation=dict(rotation_weight=0.5))
    assert model.distillation.rotation_weight == 0.5
    # the rotations as the adversarial stage draws them
    assert model.distillation.max_azimuth == model.config.max_azimuth
    model.start_distillation(model.lifter)
    logs = model.train_step({'inputs': poses()}, wrappers)
    assert set(logs) == {'s_loss', 's_distillation', 's_rotated'}
    torch.testing.assert_close(
        logs['s_loss'], logs['s_distillation'] + 0.5 * logs['s_rotated'])


def test_solo_model_has_no_student_and_cannot_distil():
    model, wrappers = build(lifter='SoloLifter', student=False)
    assert set(wrappers.keys()) == {'generator', 'discriminator'}
    assert model.teacher is None
    logs = model.train_step({'inputs': poses()}, wrappers)
    assert {'g_reprojection_pose', 'g_ninety_pose'} <= set(logs)
    with pytest.raises(RuntimeError, match='no student'):
        model.start_distillation(model.lifter)


def test_every_piece_comes_from_the_registry():
    model, _ = build(
        projection=dict(type='Perspective', depth_offset=4.0),
        gan_loss=dict(type='LeastSquaresGANLoss'),
        priors=[dict(type='KneeBendPrior', weight=0.5),
                dict(type='HandsForwardPrior', weight=0.0)],  # left out
        discriminator=dict(dropout=0.5),
        adversarial=dict(renormalize_views=True))
    assert repr(model.config.projection) == 'Perspective(depth_offset=4.0)'
    assert type(model.config.gan_loss).__name__ == 'LeastSquaresGANLoss'
    assert [repr(p) for p in model.config.priors] == [
        'KneeBendPrior(weight=0.5, joints=(1, 2, 3, 4, 5, 6))']
    assert any(isinstance(m, torch.nn.Dropout)
               for m in model.discriminator.modules())
    with pytest.raises(KeyError, match='arms'):
        TIPSyGAN(lifter=dict(type='PartSplitLifter', width=16, parts=dict(
            arms=range(11, 17), rest=range(1, 11))))


def test_terms_and_the_norm_come_from_config():
    """Eq. 15's all-angle term and a LayerNorm lifter: one config entry
    each; the term's weighted value is in 'g_loss' and logged."""
    torch.manual_seed(0)
    model = TIPSyGAN(lifter=dict(type='SoloLifter', width=16, norm='layer'),
                     terms=[dict(type='AllAngleConsistency', weight=0.5)])
    assert [repr(t) for t in model.config.terms] == [
        'AllAngleConsistency(weight=0.5)']
    assert any(isinstance(m, torch.nn.LayerNorm)
               for m in model.lifter.modules())
    assert not any(isinstance(m, torch.nn.LayerNorm)  # D keeps BatchNorm
                   for m in model.discriminator.modules())
    wrappers = TIPSyOptimWrapperConstructor(
        dict(generator=ADAM, discriminator=ADAM))(model)
    logs = model.train_step({'inputs': poses()}, wrappers)
    assert torch.isfinite(logs['g_all_angle'])
    torch.testing.assert_close(logs['g_loss'], logs['g_total_pose'] +
                               0.5 * logs['g_all_angle'])


def packed_batch(pose_2d, lifting_target):
    """What PackPoseInputs gives: (1, 16, 2) inputs and data samples."""
    samples = []
    for _ in range(len(pose_2d)):
        sample = PoseDataSample()
        if lifting_target is not None:
            sample.gt_instances = InstanceData(
                lifting_target=np.full((1, 17, 3), lifting_target,
                                       np.float32))
            sample.gt_instance_labels = InstanceData(
                lifting_target_label=torch.full((1, 16, 3), lifting_target))
        samples.append(sample)
    return {'inputs': list(pose_2d[:, None]), 'data_samples': samples}


def test_train_step_never_reads_3d_labels():
    pose_2d = poses()
    results = []
    for target in (None, float('nan'), 1e6):
        model, wrappers = build()
        logs = model.train_step(packed_batch(pose_2d, target), wrappers)
        results.append((logs, params(model.lifter)))
    for logs, weights in results[1:]:
        assert all(torch.equal(logs[k], results[0][0][k]) for k in logs)
        assert all(torch.equal(weights[k], results[0][1][k])
                   for k in weights)


BAD_INPUTS = {
    'keypoint count': torch.rand(4, 17, 2),
    'layout': torch.rand(4, 2, 16),
    '2 coordinates': torch.rand(4, 16, 3),
    'single frames': torch.rand(4, 3, 16, 2),
}


@pytest.mark.parametrize('message', BAD_INPUTS)
def test_wrong_shapes_name_the_problem(message):
    with pytest.raises(ValueError, match=message):
        lifter_input_2d(BAD_INPUTS[message])


@pytest.mark.parametrize('value, message', [
    (float('nan'), 'NaN coordinates'),
    (float('inf'), 'infinite coordinates'),
    (float('-inf'), 'infinite coordinates'),
    (0.0, 'all-zero 2D pose'),
])
@pytest.mark.parametrize('mode', ['train', 'predict', 'tensor'])
def test_non_finite_and_all_zero_poses_name_the_problem_and_the_pose(
        value, message, mode):
    model, wrappers = build()
    pose_2d = poses(8)
    if value == 0.0:
        pose_2d[5] = 0.0
    else:
        pose_2d[5, 3, 1] = value
    with pytest.raises(ValueError, match=message) as error:
        if mode == 'train':
                    model.train_step({'inputs': pose_2d}, wrappers)
        else:
            model(pose_2d, [PoseDataSample() for _ in range(8)], mode=mode)
    assert '[5]' in str(error.value)


def test_predict_gives_root_relative_x_y_and_depth_with_the_root_at_zero():
    model, _ = build()
    pose_2d = poses(6)
    samples = model(list(pose_2d[:, None]),
                    [PoseDataSample() for _ in range(6)], mode='predict')
    depth = model(pose_2d, mode='tensor')
    assert depth.shape == (6, 16)
    for i, sample in enumerate(samples):
        keypoints = sample.pred_instances.keypoints
        assert keypoints.shape == (1, 17, 3)
        np.testing.assert_array_equal(keypoints[0, 0], 0.0)
        np.testing.assert_allclose(keypoints[0, 1:, :2], pose_2d[i].numpy())
        np.testing.assert_allclose(keypoints[0, 1:, 2], depth[i].numpy(),
                                   rtol=1e-6)
        np.testing.assert_array_equal(sample.pred_instances.keypoint_scores,
                                      np.ones((1, 17)))


def test_auto_test_network_follows_training():
    model, wrappers = build()
    assert model.test_network_name() == 'lifter'
    with pytest.raises(RuntimeError, match='no teacher'):
        build(test_network='teacher')[0](poses(), mode='tensor')
    model.start_distillation(model.lifter)
    assert model.test_network_name() == 'student'
    restored, _ = build()
    restored.load_state_dict(model.state_dict())
    assert restored.test_network_name() == 'student'


def test_random_state_can_be_saved_and_restored():
    """A model given the running one's random state draws the same rotations
    and label flips; a freshly seeded one does not. The state is not in the
    state_dict (TIPSyRandomStateHook puts it in the checkpoint)."""
    running, running_opt = build(seed=3)
    for i in range(2):
        running.train_step({'inputs': poses(seed=i)}, running_opt)
    state = copy.deepcopy(running.state_dict())
    assert not any('rng' in k or 'extra_state' in k for k in state)
    opt_state = copy.deepcopy(running_opt.state_dict())

    restored, restored_opt = build(seed=3)
    restored.load_state_dict(state)
    restored.load_random_state(copy.deepcopy(running.random_state()))
    restored_opt.load_state_dict(opt_state)
    reseeded, reseeded_opt = build(seed=3)
    reseeded.load_state_dict(state)
    reseeded_opt.load_state_dict(opt_state)

    batch = {'inputs': poses(seed=9)}
    expected = running.train_step(batch, running_opt)
    got = restored.train_step(batch, restored_opt)
    other = reseeded.train_step(batch, reseeded_opt)
    assert all(torch.equal(expected[k], got[k]) for k in expected)
    assert not torch.equal(expected['d_loss'], other['d_loss'])


def test_loading_a_pose_lifter_checkpoint_is_refused():
    model, _ = build()
    with pytest.raises(ValueError, match='exported PoseLifter'):
        model.load_state_dict({'backbone.lifter.net.head.weight':
                               torch.zeros(16, 32)})




SIGN_CHOICE = dict(rotations=2, discriminator_weight=1.0)


def test_sign_choice_corrects_predictions_over_the_lifters_parts():
    model, _ = build(sign_choice=dict(SIGN_CHOICE, use_for=['predictions']))
    plain, _ = build()
    plain.load_state_dict(model.state_dict())
    model.eval(), plain.eval()
    x = poses(32)
    raw = plain.predict_depth(x)
    chosen = model.predict_depth(x)
    expected = model.sign_chooser.choose(x, raw, model.lifter.parts,
                                         model.config,
                                         model.discriminator)[0]
    assert torch.equal(chosen, expected)
    # each part's depths are the raw ones, or all negated
    for positions in model.lifter.parts.values():
        part_raw, part = raw[:, list(positions)], chosen[:, list(positions)]
        kept = (part == part_raw).all(1)
        assert (kept | (part == -part_raw).all(1)).all()
    assert model.sign_choice_for == ('predictions', )


def test_sign_choice_corrects_the_teachers_targets():
    model, wrappers = build(sign_choice=dict(SIGN_CHOICE,
                                             use_for=['targets']))
    model.train_step({'inputs': poses()}, wrappers)
    model.start_distillation(model.lifter)
    calls = []
    original = model.choose_signs
    model.choose_signs = lambda *a: calls.append(a) or original(*a)
    model.train_step({'inputs': poses(seed=1)}, wrappers)
    assert len(calls) == 1
    # predictions are left alone without 'predictions'
    model.eval()
    model.predict_depth(poses(8))
    assert len(calls) == 1


def test_sign_choice_for_predictions_needs_the_discriminators_weights():
    model, _ = build(sign_choice=dict(SIGN_CHOICE, use_for=['predictions']))
    lifter_only = {k: v for k, v in model.state_dict().items()
                   if k.startswith('lifter.')}
    with pytest.raises(ValueError, match='discriminator'):
        model.load_state_dict(lifter_only)
    without, _ = build()
    without.load_state_dict(lifter_only, strict=False)  # no choice: fine


def test_sign_choice_names_a_bad_use():
    with pytest.raises(ValueError, match='use_for'):
        build(sign_choice=dict(SIGN_CHOICE, use_for=['training']))
