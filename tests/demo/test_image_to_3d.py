"""demo/image_to_3d.py's chain on the Human3.6M fixture's frames with a real
MMPose HRNet-w32 (initial weights) and the published TIPSy student: what it
writes, that the JSON is what the pictures show, videos, the low-confidence
policy and bad input."""
import copy
import dataclasses
import json
import re
from pathlib import Path

import cv2
import mmpose
import numpy as np
import pytest
import torch
from mmpose.apis import inference_topdown

from tipsy_gan.apis.chain import ImageTo3D
from tipsy_gan.apis.demo_io import (InputError, JSON_FORMAT,
                                    run_image_to_3d)
from tipsy_gan.core.skeleton import H36M_JOINT_NAMES
from conftest import DRAW_ALL, HRNET_CONFIG, NO_FLIP, load_demo_script

# MMPose's own demo detector config, at its initial weights: it scores its
# boxes about 0.5, so above --bbox-thr 0.99 it finds nobody.
RTMDET_NANO = (Path(mmpose.__file__).parent / '.mim' / 'demo' /
               'mmdetection_cfg' / 'rtmdet_nano_320-8xb32_coco-person.py')


def with_options(chain, **options):
    """The same models with other PoseLifting options."""
    other = copy.copy(chain)
    other.lifting = dataclasses.replace(chain.lifting, **options)
    return other


def read_json(path):
    return json.loads(Path(path).read_text())


def expected_picture_shape(height, width, panels=1):
    """MMPose's layout: the image padded to the 3D area's width and height,
    beside ``panels`` square 3D panels (camera and side view) of side
    max(height, width)."""
    side = max(height, width)
    return (side, max(width, panels * side) + panels * side, 3)


@pytest.fixture(scope='module')
def image_run(chain, frames_folder, tmp_path_factory):
    out_dir = tmp_path_factory.mktemp('image_run')
    summary = run_image_to_3d(chain, frames_folder, out_dir,
                              keep_pictures=True)
    return summary, out_dir


def test_every_frame_gives_a_picture_and_a_json(image_run, fixture_frames):
    summary, out_dir = image_run
    assert not summary.failures
    assert summary.frames == 4
    names = sorted(p.stem for p in fixture_frames)
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(
        [f'{n}.png' for n in names] + [f'{n}.json' for n in names])
    assert 'frames/s' in summary.fps_line('image to 3D')


def test_the_json_is_what_the_picture_shows(image_run, fixture_frames):
    summary, out_dir = image_run
    for output, source in zip(summary.outputs, fixture_frames):
        document = read_json(output.json_path)
        assert document['format'] == JSON_FORMAT
        assert document['keypoint_layout_2d'] == 'coco'
        assert document['keypoint_names_3d'] == list(H36M_JOINT_NAMES)
        [frame_json] = document['frames']
        [frame] = output.frames
        image = cv2.imread(str(source))
        height, width = image.shape[:2]
        assert frame_json['image_size'] == [width, height]
        # one person (the whole image is the box), in the JSON and drawn
        [person] = frame_json['people']
        assert len(frame.drawn_2d.pred_instances) == 1
        assert len(frame.drawn_3d.pred_instances) == 1
        keypoints_2d = np.array(person['keypoints_2d'])
        assert keypoints_2d.shape == (17, 2)
        np.testing.assert_allclose(
            keypoints_2d, frame.drawn_2d.pred_instances.keypoints[0],
            atol=1e-3)
        # the picture written is the picture drawn, at MMPose's layout
        picture = cv2.imread(str(out_dir / frame_json['picture']))
        assert picture.shape == expected_picture_shape(height, width)
        np.testing.assert_array_equal(picture[..., ::-1], frame.picture)
        # a keypoint dot is where the JSON says (all are drawn here)
        inside = [(x, y) for x, y in keypoints_2d.round().astype(int)
                  if 4 <= x < width - 4 and 4 <= y < height - 4]
        assert inside, 'no keypoint inside the image to check'
        for x, y in inside:
            assert np.abs(picture[y, x].astype(int) -
                          image[y, x].astype(int)).max() > 30, (x, y)
        # the 3D: 17 joints, root at the origin, TIPSy keeps the 2D x, y
        keypoints_3d = np.array(person['keypoints_3d'])
        h36m_2d = np.array(person['keypoints_2d_h36m'])
        assert keypoints_3d.shape == (17, 3) and person['skipped'] is None
        np.testing.assert_allclose(keypoints_3d[0], 0, atol=1e-4)
        np.testing.assert_allclose(keypoints_3d[:, :2],
                                   h36m_2d - h36m_2d[0], atol=1e-2)
        assert np.ptp(keypoints_3d[:, 2]) > 0


def test_the_policy_skips_low_confidence_people_and_says_so(
        chain, fixture_frames, tmp_path, capsys):
    # initial weights score keypoints below 0.3: nobody can be lifted
    strict = with_options(chain, min_keypoint_score=0.3)
    summary = run_image_to_3d(strict, fixture_frames[0], tmp_path,
                              keep_pictures=True)
    assert not summary.failures
    [person] = read_json(summary.outputs[0].json_path)['frames'][0]['people']
    assert person['keypoints_3d'] is None
    assert person['skipped'].startswith(
        'keypoint score below --min-keypoint-score 0.3')
    low = [name for name, score in zip(H36M_JOINT_NAMES,
                                       person['keypoint_scores_2d_h36m'])
           if score < 0.3]
    assert low and all(f'{name} ' in person['skipped'] for name in low)
    assert 'person 0 not lifted: keypoint score below' in \
        capsys.readouterr().err
    # its 2D is still drawn; its 3D plot is empty (NaN joints)
    [frame] = summary.outputs[0].frames
    assert np.isnan(frame.drawn_3d.pred_instances.keypoints).all()
    assert frame.picture.shape == expected_picture_shape(1002, 1000)


def test_a_video_gives_a_video_and_one_json_with_every_frame(
        chain, fixture_frames, tmp_path, capsys):
    video_path = tmp_path / 'clip.mp4'
    writer = cv2.VideoWriter(str(video_path),
                             cv2.VideoWriter_fourcc(*'mp4v'), 10, (160, 120))
    for frame in fixture_frames * 2:
        writer.write(cv2.resize(cv2.imread(str(frame)), (160, 120)))
    writer.release()
    out_dir = tmp_path / 'out'
    summary = run_image_to_3d(chain, video_path, out_dir, keep_pictures=True)
    assert not summary.failures and summary.frames == 8
    document = read_json(out_dir / 'clip.json')
    assert document['kind'] == 'video' and document['fps'] == 10
    assert [f['frame_index'] for f in document['frames']] == list(range(8))
    assert all(f['picture'] == 'clip.mp4' and len(f['people']) == 1
               for f in document['frames'])
    video = cv2.VideoCapture(str(out_dir / 'clip.mp4'))
    assert int(video.get(cv2.CAP_PROP_FRAME_COUNT)) == 8
    ok, first = video.read()
    video.release()
    assert ok and first.shape == expected_picture_shape(120, 160)
    for frame, frame_json in zip(summary.outputs[0].frames,
                                 document['frames']):
        np.testing.assert_allclose(
            frame_json['people'][0]['keypoints_2d'],
            frame.drawn_2d.pred_instances.keypoints[0], atol=1e-3)
    assert '8/8' in capsys.readouterr().err  # progress


def test_bad_files_are_reported_and_the_run_goes_on(chain, fixture_frames,
                                                   tmp_path, capsys):
    folder = tmp_path / 'in'
    folder.mkdir()
    image = cv2.imread(str(fixture_frames[0]))
    cv2.imwrite(str(folder / 'b_good.png'), cv2.resize(image, (96, 96)))
    good_jpeg = fixture_frames[1].read_bytes()
    (folder / 'a_truncated.jpg').write_bytes(good_jpeg[:200])
    (folder / 'c_not_an_image.jpg').write_text('hello')
    (folder / 'd_corrupt.mp4').write_bytes(b'\x00\x01garbage' * 100)
    # a video cut in half: its header promises 8 frames, fewer decode
    writer = cv2.VideoWriter(str(tmp_path / 'whole.avi'),
                             cv2.VideoWriter_fourcc(*'MJPG'), 10, (64, 48))
    for _ in range(8):
        writer.write(cv2.resize(image, (64, 48)))
    writer.release()
    whole = (tmp_path / 'whole.avi').read_bytes()
    (folder / 'e_broken_off.avi').write_bytes(whole[:len(whole) // 2])
    out_dir = tmp_path / 'out'
    summary = run_image_to_3d(chain, folder, out_dir)
    failed = dict(summary.failures)
    assert set(failed) == {str(folder / n) for n in (
        'a_truncated.jpg', 'c_not_an_image.jpg', 'd_corrupt.mp4')}
    assert 'cannot read image' in failed[str(folder / 'a_truncated.jpg')]
    assert 'cannot read image' in failed[str(folder / 'c_not_an_image.jpg')]
    assert 'video' in failed[str(folder / 'd_corrupt.mp4')]
    # the good files were still processed, and nothing half-written is left
    assert sorted(p.name for p in out_dir.iterdir()) == [
        'b_good.json', 'b_good.png', 'e_broken_off.json', 'e_broken_off.mp4']
    err = capsys.readouterr().err
    assert err.count('skipped: ') == 3
    decoded = re.search(r'e_broken_off\.avi: decoding stopped after (\d) of '
                        r'8 frames', err)
    assert decoded and 0 < int(decoded[1]) < 8
    assert len(read_json(out_dir / 'e_broken_off.json')['frames']) == int(
        decoded[1])
    demo = load_demo_script('image_to_3d')
    assert demo.finish(summary, 'image to 3D') == 3  # some skipped


def test_an_empty_folder_or_a_missing_input_is_a_clear_error(chain,
                                                            tmp_path):
    with pytest.raises(InputError, match='no input in folder'):
        run_image_to_3d(chain, tmp_path, tmp_path / 'out')
    (tmp_path / 'notes.txt').write_text('not an image')
    with pytest.raises(InputError, match='no input in folder'):
        run_image_to_3d(chain, tmp_path, tmp_path / 'out')
    with pytest.raises(InputError, match='input not found'):
        run_image_to_3d(chain, tmp_path / 'missing.jpg', tmp_path / 'out')
    assert not (tmp_path / 'out').exists()


def test_a_frame_where_the_detector_finds_nobody(chain, fixture_frames,
                                                tmp_path, capsys):
    with_detector = ImageTo3D(HRNET_CONFIG, None, det_config=RTMDET_NANO,
                              bbox_thr=0.99, cfg_options_2d=NO_FLIP,
                              **DRAW_ALL)
    summary = run_image_to_3d(with_detector, fixture_frames[0], tmp_path,
                              keep_pictures=True)
    assert not summary.failures
    [frame] = read_json(summary.outputs[0].json_path)['frames']
    assert frame['people'] == []
    assert frame['message'].startswith('no person found')
    assert 'no person found' in capsys.readouterr().err
    # the picture is still there: the image and one empty 3D panel
    picture = cv2.imread(str(tmp_path / frame['picture']))
    assert picture.shape == expected_picture_shape(1002, 1000)


def test_the_command_line(frames_folder, tmp_path, capsys):
    demo = load_demo_script('image_to_3d')
    status = demo.main([
        str(HRNET_CONFIG), 'none', '--input', str(frames_folder),
        '--out-dir', str(tmp_path), '--min-keypoint-score', 'none',
        '--pose2d-cfg-options', 'model.test_cfg.flip_test=False'])
    out = capsys.readouterr().out
    assert status == 0
    assert len(list(tmp_path.glob('*.png'))) == 4
    assert 'image to 3D: 4 frames in' in out and 'frames/s' in out
    assert demo.main([str(HRNET_CONFIG), 'none', '--input',
                      str(tmp_path / 'nothing_here')]) == 2
    assert 'error: input not found' in capsys.readouterr().err


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a GPU')
def test_on_the_gpu_the_lifting_stays_on_the_gpu(chain, fixture_frames):
    gpu = ImageTo3D(HRNET_CONFIG, None, device='cuda',
                    cfg_options_2d=NO_FLIP, **DRAW_ALL)
    gpu.pose2d.load_state_dict(chain.pose2d.state_dict())
    assert next(gpu.pose2d.parameters()).is_cuda
    assert gpu.lifting.device.type == 'cuda'
    image = cv2.imread(str(fixture_frames[0]))
    on_gpu, on_cpu = gpu.process(image), chain.process(image)
    np.testing.assert_allclose(on_gpu.people[0].keypoints_3d,
                               on_cpu.people[0].keypoints_3d, atol=0.5)


def with_person_boxes(chain, boxes_per_call):
    """The chain with our detector step giving these (N, 5) boxes, one array
    per call (no detector weights can be had offline; the 2D model, lifting,
    drawing and writing are the real ones)."""
    other = copy.copy(chain)
    calls = iter(boxes_per_call)
    other.person_boxes = lambda image_bgr: np.asarray(next(calls), np.float32)
    return other


def two_people_image(fixture_frames, side=320):
    """Two fixture frames side by side: two people in one image."""
    halves = [cv2.resize(cv2.imread(str(frame)), (side, side))
              for frame in fixture_frames[:2]]
    boxes = [[0, 0, side - 1, side - 1, 0.9],
             [side, 0, 2 * side - 1, side - 1, 0.8]]
    return np.concatenate(halves, axis=1), boxes


def test_two_people_get_two_lifts_and_two_3d_panels(chain, fixture_frames,
                                                   tmp_path):
    image, boxes = two_people_image(fixture_frames)
    path = tmp_path / 'two.png'
    cv2.imwrite(str(path), image)
    two = with_person_boxes(chain, [boxes])
    summary = run_image_to_3d(two, path, tmp_path / 'out', keep_pictures=True)
    assert not summary.failures
    [frame_json] = read_json(summary.outputs[0].json_path)['frames']
    people = frame_json['people']
    assert [p['bbox_score'] for p in people] == pytest.approx([0.9, 0.8])
    for person, box in zip(people, boxes):
        assert person['bbox'] == pytest.approx(box[:4])
        assert np.array(person['keypoints_3d']).shape == (17, 3)
        # top-down: each person's keypoints are MMPose's for their own box
        [alone] = inference_topdown(chain.pose2d, image, [box[:4]])
        np.testing.assert_allclose(person['keypoints_2d'],
                                   alone.pred_instances.keypoints[0],
                                   atol=1e-3)
    assert not np.allclose(people[0]['keypoints_3d'],
                           people[1]['keypoints_3d'])
    [frame] = summary.outputs[0].frames
    assert len(frame.drawn_3d.pred_instances) == 2
    assert frame.picture.shape == expected_picture_shape(320, 640, panels=2)


def test_a_video_keeps_the_first_frames_panel_count(chain, fixture_frames,
                                                   tmp_path):
    # MMPose's rule: the first frame's number of people fixes the panels,
    # so every video frame has one size; later people stay in the JSON
    image, boxes = two_people_image(fixture_frames, side=160)
    video_path = tmp_path / 'clip.mp4'
    writer = cv2.VideoWriter(str(video_path), cv2.VideoWriter_fourcc(*'mp4v'),
                             10, (320, 160))
    for _ in range(3):
        writer.write(image)
    writer.release()
    counts = [1, 2, 0]
    two = with_person_boxes(chain, [boxes[:n] for n in counts])
    summary = run_image_to_3d(two, video_path, tmp_path / 'out',
                              keep_pictures=True)
    assert not summary.failures
    document = read_json(tmp_path / 'out' / 'clip.json')
    assert [len(f['people']) for f in document['frames']] == counts
    one_panel = expected_picture_shape(160, 320, panels=1)
    assert [f.picture.shape for f in summary.outputs[0].frames] == \
        [one_panel] * 3
    video = cv2.VideoCapture(str(tmp_path / 'out' / 'clip.mp4'))
    assert int(video.get(cv2.CAP_PROP_FRAME_COUNT)) == 3
    ok, first = video.read()
    video.release()
    assert ok and first.shape == one_panel
    assert chain.lifting.num_instances == -1  # the chain itself is unchanged
