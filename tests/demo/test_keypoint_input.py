"""The demos' keypoint input at its edges (issue 21, section 3): NaN and inf
keypoints, frames with nobody, an outlier keypoint, many frames and many
people, a frame_id given as text, and the exit statuses."""
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from tipsy_gan.apis.demo_io import run_image_to_3d
from tipsy_gan.core.skeleton import H36M_JOINT_NAMES
from conftest import load_demo_script

SMALL = 0.15  # the fixture's poses shrunk to about 150 pixels: fast pictures
LEFT_KNEE, LEFT_WRIST = 5, 13  # Human3.6M
LEFT_EAR, LEFT_HIP = 3, 11  # COCO


@pytest.fixture(scope='module')
def poses(fixture_dir):
    """The fixture's four (17, 2) Human3.6M poses, shrunk (pixels)."""
    with np.load(fixture_dir / 'test_h36m_body3d.npz') as data:
        return data['part'][..., :2] * SMALL


def person(pose, scores=0.9):
    """One person as MMPose's prediction JSON has it."""
    return dict(keypoints=np.asarray(pose, float).tolist(),
                keypoint_scores=np.broadcast_to(scores, 17).tolist())


def write(path, document):
    """JSON as Python writes it: NaN and Infinity as those words."""
    path.write_text(json.dumps(document))
    return path


def lift(args, capsys, layout='h36m'):
    """demo/lift_2d_json.py: (exit status, stdout, stderr)."""
    status = load_demo_script('lift_2d_json').main(
        [str(arg) for arg in args] + ['--layout', layout])
    out, err = capsys.readouterr()
    return status, out, err


def strict_json(path):
    """The file's JSON; a NaN or Infinity in it fails the test."""
    def refuse(token):
        raise AssertionError(f'{path}: {token} is not JSON')

    return json.loads(Path(path).read_text(), parse_constant=refuse)


def test_a_nan_or_inf_keypoint_skips_that_person_and_the_rest_runs(
        poses, tmp_path, capsys):
    folder = tmp_path / 'in'
    folder.mkdir()
    nan_pose, inf_pose = poses[0].copy(), poses[1].copy()
    nan_pose[LEFT_KNEE] = np.nan
    inf_pose[LEFT_WRIST, 0] = np.inf
    write(folder / 'a_nan.json', [person(nan_pose), person(poses[1])])
    write(folder / 'b_inf.json', [person(inf_pose)])
    write(folder / 'c_good.json', [person(poses[2])])
    out = tmp_path / 'out'
    status, _, err = lift([folder, '--out-dir', out], capsys)
    assert status == 3  # finished, some people skipped
    assert ('a_nan.json: person 0 not lifted: non-finite 2D keypoints: '
            'left_knee') in err
    assert ('b_inf.json: person 0 not lifted: non-finite 2D keypoints: '
            'left_wrist') in err
    # every file was processed, and all the way
    assert sorted(p.name for p in out.iterdir()) == [
        'a_nan.json', 'a_nan.png', 'b_inf.json', 'b_inf.png', 'c_good.json',
        'c_good.png']
    skipped, lifted = strict_json(out / 'a_nan.json')['frames'][0]['people']
    assert skipped['keypoints_3d'] is None
    assert skipped['keypoints_2d'][LEFT_KNEE] == [None, None]
    assert np.array(lifted['keypoints_3d']).shape == (17, 3)
    [inf_person] = strict_json(out / 'b_inf.json')['frames'][0]['people']
    assert inf_person['keypoints_2d'][LEFT_WRIST][0] is None
    assert strict_json(out / 'c_good.json')['frames'][0]['people'][0][
        'keypoints_3d'] is not None


def test_a_non_finite_coco_keypoint_spoils_only_the_joints_made_from_it():
    from tipsy_gan.apis.keypoint_conversion import COCO, to_h36m
    keypoints = np.random.default_rng(0).uniform(0, 500, (2, 17, 2))
    keypoints[0, LEFT_EAR] = np.nan  # the ears are not used
    keypoints[1, LEFT_HIP, 1] = np.inf  # root, left hip and spine use it
    h36m, _ = to_h36m(torch.from_numpy(keypoints).float(), torch.ones(2, 17),
                      COCO)
    bad = ~torch.isfinite(h36m).all(-1)
    assert not bad[0].any()
    assert [H36M_JOINT_NAMES[j] for j in torch.nonzero(bad[1]).flatten()] == [
        'root', 'left_hip', 'spine']


def test_a_non_finite_unused_keypoint_is_skipped_alone(poses, tmp_path,
                                                       capsys):
    # read as COCO, the pose's fourth point is the left ear: not lifted from
    pose = poses[0].copy()
    pose[LEFT_EAR] = np.nan
    path = write(tmp_path / 'ear.json', [person(pose)])
    status, _, err = lift([path, '--out-dir', tmp_path / 'out'], capsys,
                          layout='coco')
    assert status == 3
    assert 'ear.json: person 0: non-finite 2D keypoints skipped' in err
    assert 'left_ear' in err
    [lifted] = strict_json(tmp_path / 'out' / 'ear.json')['frames'][0][
        'people']
    assert lifted['skipped'] is None
    assert np.array(lifted['keypoints_3d']).shape == (17, 3)
    assert lifted['keypoints_2d'][LEFT_EAR] == [None, None]


def test_a_frame_with_nobody_is_written_as_a_frame_with_nobody(
        poses, tmp_path, capsys):
    video = [dict(frame_id=i, instances=[] if i == 1 else [person(pose)])
             for i, pose in enumerate(poses[:3])]
    write(tmp_path / 'video.json', video)
    write(tmp_path / 'empty.json', [])
    # a COCO annotation file with an image nobody is labelled in
    flat = np.concatenate([poses[0], np.ones((17, 1))], axis=1)
    write(tmp_path / 'coco.json', dict(
        images=[dict(id=1, file_name='one.jpg'),
                dict(id=2, file_name='none.jpg')],
        annotations=[dict(image_id=1, keypoints=flat.ravel().tolist(),
                          bbox=[0, 0, 200, 200])],
        categories=[dict(keypoints=list(H36M_JOINT_NAMES))]))
    out = tmp_path / 'out'
    status, _, err = lift([tmp_path / 'video.json', tmp_path / 'empty.json',
                           tmp_path / 'coco.json', '--out-dir', out], capsys)
    assert status == 0, err
    frames = strict_json(out / 'video.json')['frames']
    assert [len(f['people']) for f in frames] == [1, 0, 1]
    assert frames[1]['message'] == 'no person saved'
    [frame] = strict_json(out / 'empty.json')['frames']
    assert frame['people'] == [] and frame['message'] == 'no person saved'
    coco_frames = strict_json(out / 'coco.json')['frames']
    assert [len(f['people']) for f in coco_frames] == [1, 0]
    assert sorted(p.name for p in out.glob('*.png')) == [
        'empty.png', 'none.png', 'one.png', 'video_000000.png',
        'video_000001.png', 'video_000002.png']


def test_an_outlier_keypoint_does_not_size_the_canvas(poses, tmp_path,
                                                      capsys):
    pose = poses[0].copy()
    # far off, and its score says so (the was at 30000: a 21.9 GB
    # picture; 3000 shows the same, affordably)
    pose[LEFT_WRIST] = 3000
    scores = np.full(17, 0.9)
    scores[LEFT_WRIST] = 0.05
    path = write(tmp_path / 'outlier.json', [person(pose, scores)])
    out = tmp_path / 'out'
    status, _, _ = lift([path, '--out-dir', out, '--min-keypoint-score',
                         'none'], capsys)
    assert status == 0
    [frame] = strict_json(out / 'outlier.json')['frames']
    confident = np.delete(pose, LEFT_WRIST, axis=0).astype(np.float32)
    # the canvas holds the confident keypoints, with a margin
    assert frame['image_size'] == [int(confident[:, 0].max()) + 20,
                                   int(confident[:, 1].max()) + 20]
    picture = cv2.imread(str(out / 'outlier.png'))
    assert max(picture.shape[:2]) <= 2 * max(frame['image_size'])


def test_even_confident_far_keypoints_make_a_bounded_canvas():
    from tipsy_gan.apis.keypoints_json import (MAX_CANVAS_SIDE,
                                               KeypointFrame, blank_canvas)
    frame = KeypointFrame(
        'far', None, keypoints=np.array([[[30000, 50], [10, 1e30]]]),
        scores=np.ones((1, 2)), bboxes=np.zeros((1, 4)), bbox_scores=None)
    assert blank_canvas(frame, kpt_thr=0.3).shape == (MAX_CANVAS_SIDE,
                                                      MAX_CANVAS_SIDE, 3)


def test_a_file_of_several_frames_shows_its_progress(poses, tmp_path,
                                                     capsys):
    write(tmp_path / 'clip.json', [dict(frame_id=i, instances=[person(p)])
                                   for i, p in enumerate(poses[:3])])
    status, _, err = lift([tmp_path / 'clip.json', '--out-dir',
                           tmp_path / 'out'], capsys)
    assert status == 0
    assert '3/3' in err


def test_no_pictures_writes_the_json_only(poses, tmp_path, capsys):
    write(tmp_path / 'clip.json', [dict(frame_id=i, instances=[person(p)])
                                   for i, p in enumerate(poses[:3])])
    out = tmp_path / 'out'
    status, _, _ = lift([tmp_path / 'clip.json', '--out-dir', out,
                         '--no-pictures'], capsys)
    assert status == 0
    assert [p.name for p in out.iterdir()] == ['clip.json']
    frames = strict_json(out / 'clip.json')['frames']
    assert [f['picture'] for f in frames] == [None] * 3
    assert all(f['people'][0]['keypoints_3d'] is not None for f in frames)


def test_no_pictures_from_images_and_video(chain, fixture_frames, tmp_path):
    image = cv2.resize(cv2.imread(str(fixture_frames[0])), (64, 48))
    cv2.imwrite(str(tmp_path / 'frame.png'), image)
    writer = cv2.VideoWriter(str(tmp_path / 'clip.avi'),
                             cv2.VideoWriter_fourcc(*'MJPG'), 10, (64, 48))
    for _ in range(3):
        writer.write(image)
    writer.release()
    out = tmp_path / 'out'
    for name in ('frame.png', 'clip.avi'):
        summary = run_image_to_3d(chain, tmp_path / name, out,
                                  write_pictures=False)
        assert not summary.failures
    assert sorted(p.name for p in out.iterdir()) == ['clip.json',
                                                     'frame.json']
    frames = strict_json(out / 'clip.json')['frames']
    assert len(frames) == 3 and frames[0]['picture'] is None
    assert load_demo_script('image_to_3d').parse_args(
        ['config.py', 'none', '--input', 'x', '--no-pictures']).no_pictures


def test_at_most_max_people_3d_are_drawn_in_3d_and_it_says_so(
        poses, tmp_path, capsys):
    crowd = [person(poses[i % 4] + [160 * i, 0]) for i in range(4)]
    path = write(tmp_path / 'crowd.json', crowd)
    out = tmp_path / 'out'
    status, _, err = lift([path, '--out-dir', out, '--max-people-3d', '2'],
                          capsys)
    assert status == 0
    [frame] = strict_json(out / 'crowd.json')['frames']
    assert all(p['keypoints_3d'] is not None for p in frame['people'])
    width, height = frame['image_size']
    side = max(width, height)
    picture = cv2.imread(str(out / 'crowd.png'))
    assert picture.shape == (side, max(width, 2 * side) + 2 * side, 3)
    assert 'crowd.json: 2 person(s) in 1 frame(s) not drawn in 3D' in err
    assert load_demo_script('lift_2d_json').parse_args(
        ['x.json']).max_people_3d == 10


def test_a_frame_id_given_as_text(poses, tmp_path, capsys):
    video = [dict(frame_id=frame_id, instances=[person(pose)])
             for frame_id, pose in zip(['7', 'intro', 'a/b'], poses)]
    write(tmp_path / 'clip.json', video)
    out = tmp_path / 'out'
    status, _, err = lift([tmp_path / 'clip.json', '--out-dir', out],
                          capsys)
    assert status == 0, err
    assert sorted(p.name for p in out.iterdir()) == [
        'clip.json', 'clip_000007.png', 'clip_a_b.png', 'clip_intro.png']
    assert [f['picture'] for f in strict_json(out / 'clip.json')[
        'frames']] == ['clip_000007.png', 'clip_intro.png', 'clip_a_b.png']


@pytest.mark.parametrize('name', ['lift_2d_json', 'image_to_3d'])
def test_the_help_gives_the_exit_statuses(name, capsys):
    with pytest.raises(SystemExit) as exit_:
        load_demo_script(name).parse_args(['--help'])
    assert exit_.value.code == 0
    text = ' '.join(capsys.readouterr().out.split())
    for status in ('0 every input done', '3 finished, but',
                   '2 nothing could run', '1 an unexpected error'):
        assert status in text


def test_an_unexpected_error_is_a_crash_not_a_skip(poses, tmp_path,
                                                   monkeypatch):
    # exit 2 is for usage and unusable inputs; a bug raises (Python: exit 1)
    demo = load_demo_script('lift_2d_json')

    def broken(*args, **kwargs):
        raise ValueError('a bug')

    monkeypatch.setattr(demo, 'run_lift_2d_json', broken)
    path = write(tmp_path / 'one.json', [person(poses[0])])
    with pytest.raises(ValueError, match='a bug'):
        demo.main([str(path), '--out-dir', str(tmp_path / 'out')])
