import numpy as np
import pytest


from mmengine.structures import InstanceData  # noqa: E402
from mmpose.registry import METRICS  # noqa: E402
from mmpose.structures import PoseDataSample  # noqa: E402

from tipsy_gan.core import pose_metrics  # noqa: E402
from tipsy_gan.evaluation.metrics import h36m_action_from_path  # noqa: E402

ACTIONS = ['Directions_1', 'Directions', 'Greeting_2', 'SittingDown',
           'WalkDog_1', 'Greeting']


def _rotation(angle):
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


@pytest.fixture(scope='module')
def samples():
    """Data samples shaped like MMPose's own MPJPE metric tests build them."""
    rng = np.random.default_rng(0)
    data_samples, preds, gts, masks = [], [], [], []
    for index, action in enumerate(ACTIONS):
        gt = rng.normal(scale=0.3, size=(1, 17, 3)) + [0, 0, 5.0]  # metres
        # a pose-ish prediction in another unit, rotated, noisy, and offset
        pred = 400 * (gt - gt[:, :1]) @ _rotation(0.2 * index).T
        pred = pred + rng.normal(scale=20.0, size=pred.shape) + 7.0
        mask = np.ones((1, 17), dtype=np.float32)
        if index == 2:
            mask[0, 5] = 0

        gt_instances = InstanceData()
        gt_instances.lifting_target = gt
        gt_instances.lifting_target_visible = mask.copy()
        pred_instances = InstanceData()
        pred_instances.keypoints = pred
        pred_instances.keypoint_scores = np.ones((1, 17))
        data_sample = PoseDataSample(gt_instances=gt_instances,
                                     pred_instances=pred_instances)
        data_sample.set_metainfo(dict(target_img_path=[
            f'S9/S9_{action}.54138969/S9_{action}.54138969_{index:06d}.jpg'
        ]))
        data_samples.append(data_sample.to_dict())
        preds.append(pred)
        gts.append(gt)
        masks.append(mask.astype(bool))
    return (data_samples, np.concatenate(preds), np.concatenate(gts),
            np.concatenate(masks))


def _run(metric, data_samples):
    metric.process([{}] * len(data_samples), data_samples)
    return metric.compute_metrics(metric.results)


def _mm(poses):
    return 1000.0 * pose_metrics.root_relative(poses)


def test_action_parsing_matches_mmpose():
    assert h36m_action_from_path(
        'S9/S9_Directions_1.54138969/S9_Directions_1.54138969_000001.jpg'
    ) == 'Directions'
    assert h36m_action_from_path('S11_WalkDog.60457274_000101.jpg') == \
        'WalkDog'


def test_pose_error_metric_overall_and_per_action(samples):
    data_samples, pred, gt, mask = samples
    metric = METRICS.build(dict(type='TIPSyPoseErrorMetric'))
    results = _run(metric, data_samples)

    actions = ['Directions', 'Greeting', 'SittingDown', 'WalkDog']
    expected_keys = {'MPJPE', 'N-MPJPE', 'PA-MPJPE'} | {
        f'{name}_{action}' for name in ('MPJPE', 'N-MPJPE', 'PA-MPJPE')
        for action in actions
    }
    assert set(results) == expected_keys

    functions = {'MPJPE': pose_metrics.mpjpe, 'N-MPJPE': pose_metrics.n_mpjpe,
                 'PA-MPJPE': pose_metrics.pa_mpjpe}
    groups = {'Directions': [0, 1], 'Greeting': [2, 5], 'SittingDown': [3],
              'WalkDog': [4]}
    for name, function in functions.items():
        assert results[name] == pytest.approx(
            function(_mm(pred), _mm(gt), mask))
        for action, indices in groups.items():
            assert results[f'{name}_{action}'] == pytest.approx(
                function(_mm(pred[indices]), _mm(gt[indices]),
                         mask[indices]))
    # the prediction is off by rotation and a 400x unit change; alignment
    # must remove most of the error, and PA more than N
    assert results['PA-MPJPE'] < results['N-MPJPE'] < results['MPJPE']
    assert results['PA-MPJPE'] < 0.1 * results['MPJPE']


def test_root_relative_on_both_sides(samples):
    data_samples, _, _, _ = samples
    shifted = []
    for sample in data_samples:
        sample = dict(sample)
        sample['gt_instances'] = dict(sample['gt_instances'])
        sample['gt_instances']['lifting_target'] = \
            sample['gt_instances']['lifting_target'] + [3.0, -2.0, 10.0]
        shifted.append(sample)
    modes = ('mpjpe', 'n-mpjpe')
    base = _run(METRICS.build(dict(type='TIPSyPoseErrorMetric', modes=modes)),
                data_samples)
    moved = _run(METRICS.build(dict(type='TIPSyPoseErrorMetric',
                                    modes=modes)), shifted)
    for key in base:
        assert moved[key] == pytest.approx(base[key])


def test_mode_subset_unit_and_no_per_action(samples):
    data_samples, pred, gt, mask = samples
    results = _run(
        METRICS.build(dict(type='TIPSyPoseErrorMetric', modes=['pa-mpjpe'],
                           per_action=False, unit_to_mm=1.0)), data_samples)
    assert set(results) == {'PA-MPJPE'}
    rel = pose_metrics.root_relative
    assert results['PA-MPJPE'] == pytest.approx(
        pose_metrics.pa_mpjpe(rel(pred), rel(gt), mask))


def test_skip_list(samples):
    data_samples, _, _, _ = samples
    results = _run(
        METRICS.build(dict(type='TIPSyPoseErrorMetric', modes=['mpjpe'],
                           skip_list=['S9_SittingDown'])), data_samples)
    assert 'MPJPE_SittingDown' not in results
    assert 'MPJPE_Directions' in results


def test_bad_mode_raises():
    with pytest.raises(KeyError):
        METRICS.build(dict(type='TIPSyPoseErrorMetric', modes=['p-mpjpe']))


def test_pck3d_metric(samples):
    data_samples, pred, gt, mask = samples
    results = _run(METRICS.build(dict(type='PCK3DMetric')), data_samples)
    assert set(results) == {'PCK3D', 'AUC'}
    assert results['PCK3D'] == pytest.approx(
        pose_metrics.pck3d(_mm(pred), _mm(gt), 150.0, mask, 'scale'))
    assert results['AUC'] == pytest.approx(
        pose_metrics.auc_pck3d(_mm(pred), _mm(gt), mask=mask,
                               alignment='scale'))
    assert 0 < results['AUC'] < results['PCK3D'] <= 100


def test_pck3d_metric_joint_subset_and_alignment(samples):
    data_samples, pred, gt, mask = samples
    joints = [10, 8, 14, 15, 16, 11, 12, 13, 1, 2, 3, 4, 5, 6]
    results = _run(
        METRICS.build(dict(type='PCK3DMetric', joint_indices=joints,
                           alignment='procrustes', threshold=50.0)),
        data_samples)
    p, g, m = _mm(pred)[:, joints], _mm(gt)[:, joints], mask[:, joints]
    assert results['PCK3D'] == pytest.approx(
        pose_metrics.pck3d(p, g, 50.0, m, 'procrustes'))
    assert results['AUC'] == pytest.approx(
        pose_metrics.auc_pck3d(p, g, mask=m, alignment='procrustes'))


@pytest.mark.parametrize('alignment,function', [
    ('none', pose_metrics.mpjpe), ('scale', pose_metrics.n_mpjpe),
    ('procrustes', pose_metrics.pa_mpjpe)])
def test_pure_functions_agree_with_mmpose_keypoint_mpjpe(alignment, function):
    from mmpose.evaluation.functional import keypoint_mpjpe
    rng = np.random.default_rng(1)
    gt = rng.normal(scale=300.0, size=(8, 17, 3))
    pred = 0.8 * gt @ _rotation(0.4).T + rng.normal(scale=30.0,
                                                     size=gt.shape)
    mask = np.ones((8, 17), dtype=bool)
    assert function(pred, gt, mask) == pytest.approx(
        keypoint_mpjpe(pred, gt, mask, alignment))


def _with_predictions(data_samples, make_prediction):
    changed = []
    for sample in data_samples:
        sample = {**sample, 'pred_instances': dict(sample['pred_instances'])}
        gt = np.asarray(sample['gt_instances']['lifting_target'])
        sample['pred_instances']['keypoints'] = make_prediction(gt)
        changed.append(sample)
    return changed


def test_depth_mirrored_share(samples):
    data_samples = samples[0]
    metric = METRICS.build(dict(type='DepthMirroredShareMetric'))
    rotated = _with_predictions(
        data_samples, lambda gt: 3.0 * (gt - gt[:, :1]) @ _rotation(0.4).T)
    assert _run(metric, rotated)['Mirrored'] == 0.0

    metric = METRICS.build(dict(type='DepthMirroredShareMetric'))
    mirrored = _with_predictions(
        data_samples, lambda gt: (gt - gt[:, :1]) * np.array([1.0, 1.0, -1.0]))
    result = _run(metric, mirrored)
    assert result['Mirrored'] == 100.0
    assert result['Mirrored_Directions'] == 100.0


def test_reflection_mode_is_its_own_key_and_forgives_a_mirror(samples):
    """'pa-mpjpe-reflection' reports 'PA-MPJPE-reflection' (and per action)
    beside protocol II: equal to it when no mirror fits better, ~0 for a
    depth-mirrored copy of the ground truth where PA-MPJPE is not."""
    data_samples, _, _, _ = samples
    modes = ('pa-mpjpe', 'pa-mpjpe-reflection')
    results = _run(METRICS.build(dict(type='TIPSyPoseErrorMetric',
                                      modes=modes)), data_samples)
    assert 'PA-MPJPE-reflection' in results
    assert 'PA-MPJPE-reflection_Directions' in results
    assert results['PA-MPJPE-reflection'] <= results['PA-MPJPE'] + 1e-9
    mirrored = []
    for sample in data_samples:
        sample = {**sample, 'pred_instances': {**sample['pred_instances']}}
        gt = np.asarray(sample['gt_instances']['lifting_target'])
        sample['pred_instances']['keypoints'] = pose_metrics.mirror_depth(gt)
        mirrored.append(sample)
    results = _run(METRICS.build(dict(type='TIPSyPoseErrorMetric',
                                      modes=modes)), mirrored)
    assert results['PA-MPJPE-reflection'] < 1e-6
    assert results['PA-MPJPE'] > 10.0


def test_results_from_arrays_equal_process(samples):
    """The fast evaluator's entry point gives process()'s metrics."""
    data_samples, pred, gt, mask = samples
    paths = [s['target_img_path'][0] for s in data_samples]
    for cfg in (dict(type='TIPSyPoseErrorMetric',
                     modes=('n-mpjpe', 'pa-mpjpe', 'pa-mpjpe-reflection')),
                dict(type='PCK3DMetric'), dict(type='DepthMirroredShareMetric'),
                dict(type='TIPSyPoseErrorMetric', skip_list=['S9_Greeting_2'])):
        slow = _run(METRICS.build(cfg), data_samples)
        metric = METRICS.build(cfg)
        fast = metric.compute_metrics(
            metric.results_from_arrays(pred, gt, mask, paths))
        assert fast.keys() == slow.keys()
        for key in slow:
            assert fast[key] == pytest.approx(slow[key], abs=1e-9), key


def test_image_fields_parse_names_as_process_does():
    import os
    from tipsy_gan.datasets import mpi_inf_3dhp_files as hp3d
    from tipsy_gan.evaluation.metrics import image_fields
    names = ['S9/S9_Directions_1.54138969_000001.jpg',
             'S11_Walking Dog_2.60457274_000101.jpg', 'TS1_000001.jpg',
             'a/b/TS6_000002.png', 'TS9_x.jpg', 'foo.jpg', 'foo_bar.jpg',
             'x_y_z', 'S1_SittingDown.55011271_000006.jpg']
    fields = image_fields(names)
    for i, name in enumerate(names):
        sequence = hp3d.sequence_of_image(name)
        assert fields['subj_act'][i] == os.path.basename(name).split('.')[0]
        assert fields['sequence'][i] == (sequence or '')
        assert fields['action'][i] == (hp3d.UNKNOWN_ACTIVITY if sequence else
                                       h36m_action_from_path(name))
