"""Lifting-only (demo/lift_2d_json.py) and the published lifter's quality on
the Human3.6M fixture's ground-truth 2D keypoints."""
import json
import os
import re
import shlex

import cv2
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData
from mmpose.apis import inference_pose_lifter_model
from mmpose.structures import PoseDataSample

from tipsy_gan.apis.lifting import lift_h36m, load_pose_lifter
from tipsy_gan.core.pose_metrics import pa_mpjpe, root_relative
from tipsy_gan.paths import REPO_ROOT, shared_dir
from conftest import load_demo_script

SCRIPT = 'demo/lift_2d_json.py'
README = REPO_ROOT / 'README.md'
PROJECT_README = REPO_ROOT / 'projects' / 'tipsy_gan' / 'README.md'
DEMO_DOC = REPO_ROOT / 'projects' / 'tipsy_gan' / 'docs' / 'demo.md'

# Four poses are too few to rank lifters: on them the earlier published
# student scored 113.7 mm (34.8, 180.0, 112.4 and 127.5 per frame: the S8
# frame's depth is mirrored, the S5 sitting pose is hard for every lifter),
# zero depth 81.3, randomly initialised lifters 98-116. So the fixture bound
# below only catches a lifter far off, and the quality bound that a broken
# lifter fails is the one on 2,028 real S9/S11 test poses further down (full
# test set: 55.3 mm for today's default, 61.8, 71.3 and 79.6 for the earlier ones; zero
# depth 104.3: projects/tipsy_gan/docs/results.md).
MAX_FIXTURE_PA_MPJPE_MM = 150.0
# On the converted test slice: at most this share of zero depth's error.
MAX_SHARE_OF_ZERO_DEPTH_ERROR = 0.85


@pytest.fixture(scope='module')
def lifter(fixture_dir):
    return load_pose_lifter()  # the published student, the demos' default


@pytest.fixture(scope='module')
def fixture_poses(fixture_dir):
    """(4, 17, 2) pixels and (4, 17, 3) camera-frame millimetres."""
    with np.load(fixture_dir / 'test_h36m_body3d.npz') as data:
        return data['part'][..., :2].astype(np.float32), \
            data['S'][..., :3] * 1000.0


def test_published_lifter_quality_on_the_fixture(lifter, fixture_poses):
    keypoints_2d, truth = fixture_poses
    lifted = lift_h36m(lifter, torch.from_numpy(keypoints_2d)).numpy()
    truth = root_relative(truth)
    zero_depth = np.concatenate([keypoints_2d - keypoints_2d[:, :1],
                                 np.zeros((4, 17, 1))], axis=-1)
    lifted_error = pa_mpjpe(lifted, truth)
    zero_depth_error = pa_mpjpe(zero_depth, truth)
    print(f'fixture PA-MPJPE: TIPSy {lifted_error:.1f} mm, zero depth '
          f'{zero_depth_error:.1f} mm')
    assert lifted_error < MAX_FIXTURE_PA_MPJPE_MM, (lifted_error,
                                                    zero_depth_error)
    # it predicts depth: not the flat pose
    assert np.abs(lifted[..., 2]).mean() > 0.05 * np.abs(
        lifted[..., :2]).mean()


def test_published_lifter_beats_zero_depth_on_real_test_poses(
        lifter, converted_h36m):
    with np.load(converted_h36m / 'annotation_body3d' / 'fps10' /
                 'h36m_test.npz') as data:
        every = slice(None, None, 45)  # 2,028 of 91,232 poses, all actions
        keypoints_2d = data['part'][every, :, :2].astype(np.float32)
        truth = root_relative(data['S'][every, :, :3] * 1000.0)
    lifted = lift_h36m(lifter, torch.from_numpy(keypoints_2d)).numpy()
    zero_depth = np.concatenate([keypoints_2d - keypoints_2d[:, :1],
                                 np.zeros((len(truth), 17, 1))], axis=-1)
    lifted_error = pa_mpjpe(lifted, truth)
    zero_depth_error = pa_mpjpe(zero_depth, truth)
    print(f'S9/S11 slice PA-MPJPE: TIPSy {lifted_error:.1f} mm, zero depth '
          f'{zero_depth_error:.1f} mm')
    assert lifted_error < MAX_SHARE_OF_ZERO_DEPTH_ERROR * zero_depth_error, (
        lifted_error, zero_depth_error)


def test_torch_lifting_is_mmpose_inference_pose_lifter_model(
        lifter, fixture_poses):
    keypoints_2d, _ = fixture_poses
    ours = lift_h36m(lifter, torch.from_numpy(keypoints_2d)).numpy()
    for index, pose in enumerate(keypoints_2d):
        sample = PoseDataSample()
        sample.pred_instances = InstanceData(
            keypoints=pose[None], keypoint_scores=np.ones((1, 17)),
            bboxes=np.array([[0, 0, 1000, 1000]], np.float32))
        sample.gt_instances = InstanceData()
        sample.track_id = 0
        [result] = inference_pose_lifter_model(lifter, [[sample]])
        np.testing.assert_allclose(result.pred_instances.keypoints[0],
                                   ours[index], rtol=1e-4, atol=1e-3)


def lift_commands(markdown):
    """The ``demo/lift_2d_json.py`` command lines in a Markdown file's code
    blocks, in order, each as its argument list (continued lines joined)."""
    commands = []
    for block in re.findall(r'^```[^\n]*\n(.*?)^```', markdown.read_text(),
                            re.S | re.M):
        for line in block.replace('\\\n', ' ').splitlines():
            words = shlex.split(line, comments=True)
            if SCRIPT in words[:2]:
                commands.append(words[words.index(SCRIPT) + 1:])
    return commands


def run_as_written(markdown, work):
    """Run the file's lift_2d_json.py commands in order from ``work``, as a
    user would from the repository root (``../shared`` is the shared data
    folder); their exit statuses."""
    demo = load_demo_script('lift_2d_json')
    commands = lift_commands(markdown)
    assert commands, f'no {SCRIPT} command in {markdown}'
    shared = str(shared_dir())
    statuses = []
    here = os.getcwd()
    os.chdir(work)
    try:
        for argv in commands:
            statuses.append(demo.main([
                shared + arg[len('../shared'):] if arg.startswith(
                    '../shared/') else arg for arg in argv]))
    finally:
        os.chdir(here)
    return statuses


@pytest.fixture(scope='module')
def readme_run(fixture_dir, tmp_path_factory):
    """The top-level README's demo command, run as written."""
    work = tmp_path_factory.mktemp('readme')
    return run_as_written(README, work), work


def test_the_readme_command(readme_run, fixture_frames, fixture_poses,
                            lifter, capsys):
    statuses, work = readme_run
    assert statuses == [0]
    # the project README shows the same command
    assert lift_commands(PROJECT_README) == lift_commands(README)
    # every output the README names is there
    named = re.findall(r'`(outputs/[^`]+)`', README.read_text())
    assert named and all((work / path).is_file() for path in named), named
    out = work / 'outputs' / 'demo'
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ['h36m_coco.json'] + [f'{f.stem}.png' for f in fixture_frames])
    document = json.loads((out / 'h36m_coco.json').read_text())
    assert len(document['frames']) == 4
    assert document['frames'][0]['image_size'] == [1000, 1002]  # its image
    lifted = np.array([f['people'][0]['keypoints_3d']
                       for f in document['frames']])
    keypoints_2d, _ = fixture_poses
    expected = lift_h36m(lifter, torch.from_numpy(keypoints_2d)).numpy()
    np.testing.assert_allclose(lifted, expected, atol=1e-3)
    picture = cv2.imread(str(out / 'S1_Directions_1.54138969_000001.png'))
    assert picture.shape == (1002, 2004, 3)


@pytest.fixture(scope='module')
def demo_doc_run(fixture_dir, tmp_path_factory):
    """docs/demo.md's commands: the fixture file, then its 2D as MMPose
    prediction JSON and one frame of it lifted."""
    work = tmp_path_factory.mktemp('demo_doc')
    return run_as_written(DEMO_DOC, work), work


def test_the_prediction_json_commands(demo_doc_run, fixture_poses, lifter,
                                      capsys):
    statuses, work = demo_doc_run
    assert statuses == [0, 0, 0]
    frame = 'S1_Directions_1.54138969_000001'
    predictions = json.loads(
        (work / 'outputs/demo/predictions' / f'{frame}.json').read_text())
    [person] = predictions  # MMPose's per-image format
    assert set(person) == {'keypoints', 'keypoint_scores', 'bbox',
                           'bbox_score'}
    lifted_dir = work / 'outputs/demo/lifted'
    assert sorted(p.name for p in lifted_dir.iterdir()) == [
        f'{frame}.json', f'{frame}.png']
    document = json.loads((lifted_dir / f'{frame}.json').read_text())
    [frame_json] = document['frames']
    assert frame_json['image_size'] == [1000, 1002]  # drawn on its image
    [lifted] = frame_json['people']
    keypoints_2d, _ = fixture_poses
    expected = lift_h36m(lifter, torch.from_numpy(keypoints_2d[:1])).numpy()
    np.testing.assert_allclose(lifted['keypoints_3d'], expected[0],
                               atol=1e-3)
    picture = cv2.imread(str(lifted_dir / f'{frame}.png'))
    assert picture.shape == (1002, 2004, 3)


def test_the_coco_annotation_file_lifts_like_the_npz(fixture_dir, lifter,
                                                    fixture_poses, tmp_path,
                                                    capsys):
    demo = load_demo_script('lift_2d_json')
    status = demo.main([str(fixture_dir / 'h36m_coco.json'), '--layout',
                        'h36m', '--out-dir', str(tmp_path)])
    assert status == 0
    assert 'lifting only: 4 frames in' in capsys.readouterr().out
    document = json.loads((tmp_path / 'h36m_coco.json').read_text())
    assert len(document['frames']) == 4
    lifted = np.array([f['people'][0]['keypoints_3d']
                       for f in document['frames']])
    expected = lift_h36m(lifter, torch.from_numpy(fixture_poses[0])).numpy()
    np.testing.assert_allclose(lifted, expected, atol=1e-3)
    assert len(list(tmp_path.glob('*.png'))) == 4  # blank canvases


def test_video_predictions_and_bad_files(tmp_path, fixture_poses, capsys):
    keypoints_2d, _ = fixture_poses
    video = [dict(frame_id=i, instances=[dict(
        keypoints=pose.tolist(), keypoint_scores=[0.9] * 17,
        bbox=[[0, 0, 1000, 1000]], bbox_score=0.8)])
        for i, pose in enumerate(keypoints_2d)]
    video[2]['instances'][0]['keypoint_scores'][5] = 0.1  # left knee
    (tmp_path / 'clip.json').write_text(json.dumps(video))
    (tmp_path / 'broken.json').write_text('{"not": "keypoints"')
    (tmp_path / 'mpii.json').write_text(json.dumps(
        [dict(keypoints=[[1, 2]] * 16, keypoint_scores=[1] * 16)]))
    (tmp_path / 'no_json').mkdir()
    demo = load_demo_script('lift_2d_json')
    status = demo.main([str(tmp_path / n) for n in (
        'broken.json', 'clip.json', 'mpii.json', 'no_json', 'missing.json')]
        + ['--layout', 'h36m', '--out-dir', str(tmp_path / 'out')])
    assert status == 3  # finished, some skipped
    err = capsys.readouterr().err
    assert 'no input in folder' in err and 'no_json' in err
    assert 'input not found' in err and 'missing.json' in err
    assert '4 input(s) skipped' in err
    assert 'cannot read keypoints JSON' in err and 'broken.json' in err
    assert '16 keypoints per person' in err
    assert 'clip.json frame 2: person 0 not lifted' in err
    document = json.loads((tmp_path / 'out' / 'clip.json').read_text())
    people = [f['people'][0] for f in document['frames']]
    assert [p['keypoints_3d'] is None for p in people] == [
        False, False, True, False]
    assert 'left_knee 0.10' in people[2]['skipped']
    assert people[0]['bbox'] == [0, 0, 1000, 1000]
    assert sorted(p.name for p in (tmp_path / 'out').iterdir()) == [
        'clip.json'] + [f'clip_{i:06d}.png' for i in range(4)]


def test_a_missing_lifter_checkpoint_says_where_it_belongs(tmp_path,
                                                          capsys):
    demo = load_demo_script('lift_2d_json')
    status = demo.main([str(tmp_path), '--lifter-checkpoint',
                        str(tmp_path / 'none.pth')])
    assert status == 2
    err = capsys.readouterr().err
    assert 'lifter checkpoint not found' in err
    assert str(REPO_ROOT / 'projects' / 'tipsy_gan' / 'checkpoints') in err
