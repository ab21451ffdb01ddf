"""The MPI-INF-3DHP protocol: PCK3D/AUC by hand, the 14/17-joint choice, the
depth-sign and scale options, the per-scene (frame-weighted) and
per-activity breakdown, and configs/tipsy_3dhp_test.py end to end on
fixtures in the published formats (no real 3DHP file was available)."""
import json

import numpy as np
import pytest
from mmengine.structures import InstanceData
from mmpose.registry import METRICS, MODELS
from mmpose.structures import PoseDataSample

import mpi_inf_3dhp_fixtures as fx
import tipsy_gan.mmpose_modules  # noqa: F401
from tipsy_gan.core import pose_metrics, skeleton
from tipsy_gan.datasets import mpi_inf_3dhp_files as files
from tipsy_gan.models.reference_lifters import _ReferenceLifter
from tipsy_gan.paths import PUBLISHED_STUDENT, REPO_ROOT
from tipsy_gan_helpers import run_tool

PERFECT_AUC = 100.0 * 30 / 31  # the kit's 0 mm threshold counts no joint


def _yaw(angle):
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


@pytest.fixture(scope='module')
def poses(converted_h36m):
    """48 real Human3.6M poses (metres), turned 40° so that each faces the
    camera at an angle."""
    return fx.h36m_poses(converted_h36m, 48) @ _yaw(0.7).T


def _sample(gt, pred, sequence, frame, activity=None):
    gt_instances = InstanceData()
    gt_instances.lifting_target = gt[None]
    gt_instances.lifting_target_visible = np.ones((1, 17), np.float32)
    pred_instances = InstanceData()
    pred_instances.keypoints = pred[None]
    pred_instances.keypoint_scores = np.ones((1, 17))
    sample = PoseDataSample(gt_instances=gt_instances,
                            pred_instances=pred_instances)
    meta = dict(target_img_path=[files.image_name(sequence, frame)],
                sequence=sequence)
    if activity is not None:
        meta['activity'] = activity
    sample.set_metainfo(meta)
    return sample.to_dict()


def _run(samples, **options):
    metric = METRICS.build(dict(type='PCK3DMetric', **options))
    metric.process([{}] * len(samples), samples)
    return metric.compute_metrics(metric.results)


# -- by hand -----------------------------------------------------------------

def test_pck_and_auc_by_hand():
    # four joints off by 0, 40, 149 and 151 mm (and 150: not < 150)
    gt = np.zeros((1, 5, 3))
    pred = gt.copy()
    pred[0, :, 0] = [0.0, 40.0, 149.0, 151.0, 150.0]
    assert pose_metrics.pck3d(pred, gt, 150.0) == pytest.approx(100 * 3 / 5)
    # thresholds 0, 5, ..., 150 (31) below which each error counts:
    # 0 -> 30 (all but 0 mm), 40 -> 22 (45..150), 149 -> 1 (150), 151, 150 -> 0
    assert pose_metrics.auc_pck3d(pred, gt) == pytest.approx(
        100 * (30 + 22 + 1) / (5 * 31))
    assert pose_metrics.MEHTA_AUC_THRESHOLDS.tolist() == list(
        range(0, 151, 5))


def test_perfect_prediction(poses):
    samples = [_sample(p, p, 'TS1', i) for i, p in enumerate(poses[:6])]
    result = _run(samples, alignment='none',
                  joint_indices='mpi_inf_3dhp_14', breakdown=('sequence',))
    assert result['PCK3D'] == result['PCK3D_TS1'] == 100.0
    # 100 AUC is out of reach by the kit's own definition (0:5:150, '<')
    assert result['AUC'] == pytest.approx(PERFECT_AUC)
    assert result['Frames_TS1'] == 6


def test_fourteen_or_seventeen_joints(poses):
    def off_at_spine(gt):
        pred = gt.copy()
        pred[skeleton.SPINE] += [0.3, 0, 0]  # 300 mm off, the spine only
        return pred

    samples = [_sample(p, off_at_spine(p), 'TS2', i)
               for i, p in enumerate(poses[:4])]
    assert _run(samples, alignment='none',
                joint_indices='mpi_inf_3dhp_14')['PCK3D'] == 100.0
    assert _run(samples, alignment='none',
                joint_indices='all')['PCK3D'] == pytest.approx(100 * 16 / 17)
    with pytest.raises(ValueError, match='joint_indices'):
        _run(samples, joint_indices='mpi_inf_3dhp_15')


# -- the paper's options: scale and depth sign -------------------------------

def test_scale_alignment_undoes_a_scale_free_prediction(poses):
    # root-relative, in pixel-like units, as TIPSy's codec decodes
    samples = [_sample(p, 0.37 * (p - p[0]), 'TS5', i)
               for i, p in enumerate(poses[:8])]
    assert _run(samples, alignment='none')['PCK3D'] < 50
    scaled = _run(samples, alignment='xy_extent',
                  joint_indices='mpi_inf_3dhp_14')
    assert scaled['PCK3D'] == pytest.approx(100.0)
    assert scaled['AUC'] == pytest.approx(PERFECT_AUC)


def test_known_facing_direction_undoes_a_depth_mirror(poses):
    mirrored = [_sample(p, pose_metrics.mirror_depth(p), 'TS3', i)
                for i, p in enumerate(poses[:8])]
    raw = _run(mirrored, alignment='none')
    facing = _run(mirrored, alignment='none', depth_sign='facing')
    assert raw['PCK3D'] < 90
    assert facing['PCK3D'] == 100.0 and facing['FacingMirrored'] == 100.0
    as_is = [_sample(p, p, 'TS3', i) for i, p in enumerate(poses[:8])]
    assert _run(as_is, alignment='none',
                depth_sign='facing')['FacingMirrored'] == 0.0
    # a mirror keeps the facing z component and reverses x, y
    f, g = pose_metrics.body_facing(poses[:8]), pose_metrics.body_facing(
        pose_metrics.mirror_depth(poses[:8]))
    np.testing.assert_allclose(g, f * [-1, -1, 1], atol=1e-12)


# -- the breakdown -----------------------------------------------------------

def _noisy(gt, rng, sigma):
    return gt + rng.normal(scale=sigma, size=gt.shape)


def test_scene_scores_are_frame_weighted_as_the_test_kit(poses):
    rng = np.random.default_rng(0)
    layout = [('TS1', 12, 0.05), ('TS2', 5, 0.12), ('TS3', 9, 0.09),
              ('TS5', 7, 0.03), ('TS6', 11, 0.15)]  # TS4 missing
    samples, start, per_sequence = [], 0, {}
    for seq, count, sigma in layout:
        chunk = poses[start:start + count]
        start += count
        batch = [_sample(p, _noisy(p, rng, sigma), seq, i)
                 for i, p in enumerate(chunk)]
        samples += batch
        per_sequence[seq] = _run(batch, alignment='none',
                                 joint_indices='mpi_inf_3dhp_14')
    result = _run(samples, alignment='none', joint_indices='mpi_inf_3dhp_14',
                  breakdown=('sequence', 'scene'))
    counts = {seq: count for seq, count, _ in layout}
    for key in ('PCK3D', 'AUC'):
        for seq in counts:
            assert result[f'{key}_{seq}'] == pytest.approx(
                per_sequence[seq][key])
        # the README's "(TS1*603 + TS2*540) / (603+540)", with our counts
        assert result[f'{key}_GS'] == pytest.approx(
            (per_sequence['TS1'][key] * 12 + per_sequence['TS2'][key] * 5) /
            17)
        assert result[f'{key}_noGS'] == pytest.approx(per_sequence['TS3'][key])
        # overall: every frame pooled, the same as weighting by frames
        assert result[key] == pytest.approx(pose_metrics.frame_weighted_mean(
            [per_sequence[s][key] for s in counts], list(counts.values())))
    assert result['Frames_GS'] == 17 and result['Frames_noGS'] == 9
    assert 'PCK3D_TS4' not in result
    assert pose_metrics.frame_weighted_mean([80.0, 70.0], [603, 540]) == \
        pytest.approx((80 * 603 + 70 * 540) / 1143)


def test_activity_scores_pool_their_frames(poses):
    rng = np.random.default_rng(1)
    names = ['Sports', 'Sitting', 'Sports', 'Misc', 'Sitting', 'Sports']
    gts = poses[:6]
    preds = [_noisy(p, rng, 0.1) for p in gts]
    samples = [_sample(g, p, 'TS4', i, activity=a)
               for i, (g, p, a) in enumerate(zip(gts, preds, names))]
    result = _run(samples, alignment='none', breakdown=('activity', ))
    for activity in set(names):
        rows = [i for i, a in enumerate(names) if a == activity]
        rel = pose_metrics.root_relative
        expected = pose_metrics.pck3d(
            1000 * rel(np.stack(preds)[rows]), 1000 * rel(gts[rows]), 150.0)
        assert result[f'PCK3D_{activity}'] == pytest.approx(expected)
        assert result[f'Frames_{activity}'] == len(rows)


def test_bad_options():
    with pytest.raises(ValueError, match='depth_sign'):
        METRICS.build(dict(type='PCK3DMetric', depth_sign='known'))
    with pytest.raises(ValueError, match='breakdown'):
        METRICS.build(dict(type='PCK3DMetric', breakdown=('subject', )))


# -- configs/tipsy_3dhp_test.py end to end -----------------------------------

@MODELS.register_module(name='_GroundTruth3dhpLifter', force=True)
class _GroundTruthLifter(_ReferenceLifter):
    """Returns the test set's own 3D target, depth-mirrored if asked."""

    def __init__(self, mirror=False, **kwargs):
        super().__init__(**kwargs)
        self.mirror = mirror

    def lift(self, inputs, data_samples):
        import torch
        poses = np.stack([np.asarray(s.gt_instances.lifting_target)[0]
                          for s in data_samples])
        if self.mirror:
            poses = pose_metrics.mirror_depth(poses)
        return torch.from_numpy(poses)


def _test_config(tmp_path, ann_file, model=None):
    from mmengine.config import Config
    cfg = Config.fromfile(str(REPO_ROOT / 'configs' / 'tipsy_3dhp_test.py'))
    cfg.test_dataloader.dataset.ann_file = str(ann_file)
    cfg.work_dir = str(tmp_path / 'work')
    if model is not None:
        cfg.model = model
    return cfg


def test_config_scores_a_ground_truth_lifter(tmp_path, converted_h36m):
    from mmengine.runner import Runner
    written = fx.write_test_set(tmp_path / 'set', converted_h36m,
                                skip=['TS4'])
    valid = {name: len(w['valid']) for name, w in written.items()}
    cfg = _test_config(tmp_path, tmp_path / 'set',
                       dict(type='_GroundTruth3dhpLifter', mirror=True))
    metrics = Runner.from_cfg(cfg).test()
    raw, paper = '3dhp_raw/', '3dhp_paper/'
    for name, count in valid.items():
        assert metrics[f'{raw}Frames_{name}'] == count
    assert metrics[f'{raw}Frames_noGS'] == valid['TS3']  # TS4 reported missing
    assert metrics[f'{raw}Frames_outdoor'] == valid['TS5'] + valid['TS6']
    # mirrored ground truth: the known facing direction restores it exactly
    assert metrics[f'{raw}PCK3D'] < 100
    for prefix in ('3dhp_facing/', paper):
        assert metrics[f'{prefix}PCK3D'] == pytest.approx(100.0)
        assert metrics[f'{prefix}AUC'] == pytest.approx(PERFECT_AUC)
        for scene in ('GS', 'noGS', 'outdoor'):
            assert metrics[f'{prefix}PCK3D_{scene}'] == pytest.approx(100.0)
    activities = {files.ACTIVITIES[a][1] for w in written.values()
                  for a in w['arrays']['activity_annotation'][w['valid']]}
    assert {f'{paper}PCK3D_{a}' for a in activities} <= set(metrics)
    assert metrics['3dhp_paper_17j/PCK3D'] == pytest.approx(100.0)
    assert metrics['3dhp/Mirrored'] == 100.0


def test_readme_command_with_the_published_student(tmp_path, converted_h36m):
    fx.write_test_set(tmp_path / 'mpi_inf_3dhp_test_set', converted_h36m)
    out = tmp_path / 'metrics.json'
    result = run_tool(
        'test.py', REPO_ROOT / 'configs' / 'tipsy_3dhp_test.py',
        PUBLISHED_STUDENT, '--out', out, '--work-dir', tmp_path / 'work',
        '--cfg-options', 'test_dataloader.dataset.ann_file=' +
        str(tmp_path / 'mpi_inf_3dhp_test_set'))
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads(out.read_text())
    for prefix in ('3dhp_raw', '3dhp_scaled', '3dhp_facing', '3dhp_paper'):
        for key in ('PCK3D', 'AUC', 'PCK3D_GS', 'PCK3D_noGS',
                    'PCK3D_outdoor', 'AUC_outdoor', 'PCK3D_TS6'):
            assert 0 <= metrics[f'{prefix}/{key}'] <= 100
    # pixel-scale predictions: meaningless unscaled, sensible scaled
    assert metrics['3dhp_raw/PCK3D'] < metrics['3dhp_scaled/PCK3D']
    assert metrics['3dhp_paper/PCK3D'] > 50
    assert 'read as MATLAB v7.3' in result.stdout + result.stderr
