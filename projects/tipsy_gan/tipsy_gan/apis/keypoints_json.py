"""Lift 2D keypoints that MMPose already saved: no 2D model.

Accepted files:

- MMPose's prediction JSON (``MMPoseInferencer(..., pred_out_dir=...)``):
  for an image, a list of ``{keypoints, keypoint_scores, bbox, bbox_score}``,
  one per person; for a video, a list of ``{frame_id, instances: [...]}``.
  These carry no keypoint names: their layout is COCO's 17 (MMPose's body
  models) unless ``layout='h36m'`` is given.
- A COCO-style annotation file (``images``, ``annotations`` with flat
  ``keypoints`` [x, y, v] * K, ``categories``), as the Human3.6M fixture's
  ``h36m_coco.json``: one frame per image; the score of a keypoint is 1 where
  it is labelled (v > 0), else 0. Its layout comes from the category's
  keypoint names when they are COCO's or Human3.6M's.

A frame may have nobody (``instances: []``, an image file holding ``[]``, an
image without annotations): it is written as a frame without people. A
``frame_id`` that is a whole number, or its text, names the frame's picture
(``NAME_000012.png``); any other ``frame_id`` is used as text. A person with
a NaN or infinite keypoint is reported; the keypoint is not drawn, and the
person is not lifted if a lifted joint is made from it.
"""
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

import numpy as np

from .chain import FrameResult
from .demo_io import (IMAGE_EXTENSIONS, InputError, Output, RunSummary,
                      json_document, list_inputs, progress, read_image,
                      report, report_frames, report_left_out, write_json,
                      write_picture)
from .keypoint_conversion import (COCO, H36M, LAYOUT_NAMES,
                                  UnsupportedKeypointLayout,
                                  layout_from_names)

LAYOUTS = ('auto', COCO, H36M)
# A blank canvas (no image) is at most this many pixels a side.
MAX_CANVAS_SIDE = 4096


@dataclass
class KeypointFrame:
    """One frame's saved 2D people."""
    name: str  # the picture's name
    image_file: Optional[str]  # the image it was estimated on, if known
    keypoints: np.ndarray  # (N, K, 2)
    scores: np.ndarray  # (N, K)
    bboxes: np.ndarray  # (N, 4) x1, y1, x2, y2
    bbox_scores: Optional[np.ndarray]  # (N,)


def _points(rows, width: int) -> np.ndarray:
    """(N, K, width) float32 from N people's points (no people: K is 0)."""
    return np.array(rows, np.float32).reshape(len(rows), -1 if rows else 0,
                                              width)


def _frame_name(stem: str, frame_id) -> str:
    """``stem_000012`` for frame 12 (or '12'); else ``stem_`` and the
    frame_id as text, safe in a file name."""
    text = str(frame_id).strip()
    try:
        return f'{stem}_{int(text):06d}'
    except ValueError:
        return stem + '_' + re.sub(r'[^\w.-]+', '_', text)


def _prediction_frame(instances, name: str, where: str) -> KeypointFrame:
    """One frame of MMPose prediction instances."""
    try:
        keypoints = _points([p['keypoints'] for p in instances], 2)
        scores = np.array([p['keypoint_scores'] for p in instances],
                          np.float32).reshape(keypoints.shape[:2])
    except (KeyError, TypeError, ValueError) as error:
        raise InputError(f'{where}: not MMPose prediction instances '
                         f'({{keypoints: K x [x, y], keypoint_scores: K, '
                         f'...}}): {error}') from None
    bboxes = []
    for person, pose in zip(instances, keypoints):
        # MMPose writes each box as a one-element list of [x1, y1, x2, y2]
        box = np.asarray(person.get('bbox', []), np.float32).reshape(-1)
        pose = pose[np.isfinite(pose).all(-1)]
        bboxes.append(box[:4] if box.size >= 4 else np.concatenate(
            [pose.min(0), pose.max(0)]) if len(pose) else np.zeros(4))
    bbox_scores = None
    if instances and all('bbox_score' in p for p in instances):
        bbox_scores = np.array([np.ravel(p['bbox_score'])[0]
                                for p in instances], np.float32)
    return KeypointFrame(name, None, keypoints, scores,
                         np.array(bboxes, np.float32).reshape(-1, 4),
                         bbox_scores)


def _coco_frames(document: dict):
    names = (document.get('categories') or [{}])[0].get('keypoints')
    by_image = {}
    for annotation in document['annotations']:
        by_image.setdefault(annotation['image_id'], []).append(annotation)
    frames = []
    for image in document['images']:
        annotations = by_image.get(image['id'], [])
        flat = _points([a['keypoints'] for a in annotations], 3)
        boxes = np.array([a['bbox'] for a in annotations],
                         np.float32).reshape(-1, 4)
        boxes[:, 2:] += boxes[:, :2]  # COCO's x, y, w, h -> x1, y1, x2, y2
        frames.append(KeypointFrame(
            name=Path(image['file_name']).stem, image_file=image['file_name'],
            keypoints=flat[..., :2], scores=(flat[..., 2] > 0).astype(
                np.float32), bboxes=boxes, bbox_scores=None))
    return frames, names


def read_keypoints_json(path) -> tuple:
    """(frames, keypoint names or None) of a saved-keypoints file.

    Raises:
        InputError: unreadable, not JSON, or none of the accepted formats.
    """
    path = Path(path)
    try:
        document = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f'cannot read keypoints JSON {path}: {error}')
    if isinstance(document, dict) and 'annotations' in document:
        try:
            return _coco_frames(document)
        except (KeyError, TypeError, ValueError) as error:
            raise InputError(f'{path}: not a COCO keypoint annotation file '
                             f'(images, annotations with keypoints): '
                             f'{error!r}') from None
    if isinstance(document, list) and document and all(
            isinstance(f, dict) and 'instances' in f for f in document):
        frames = []
        for number, frame in enumerate(document):
            frame_id = frame.get('frame_id', number)
            frames.append(_prediction_frame(
                frame['instances'], _frame_name(path.stem, frame_id),
                f'{path} frame {frame_id}'))
        return frames, None
    if isinstance(document, list):
        return [_prediction_frame(document, path.stem, str(path))], None
    raise InputError(f'{path} is neither MMPose prediction JSON (a list of '
                     'people or of {frame_id, instances}) nor a COCO '
                     'annotation file')


def resolve_layout(layout: str, names, sizes, path) -> str:
    """The layout to convert from ('coco' or 'h36m'); ``sizes``: the
    file's numbers of keypoints per person."""
    if layout == 'auto':
        if names:
            try:
                layout = layout_from_names(names)
            except UnsupportedKeypointLayout:
                raise UnsupportedKeypointLayout(
                    f'{path}: its keypoint names ({", ".join(names[:4])}, '
                    '...) are neither COCO\'s nor Human3.6M\'s as MMPose '
                    'names them: say which with --layout coco or --layout '
                    'h36m') from None
        else:
            layout = COCO  # MMPose's body 2D models
    wrong = sorted(set(sizes) - {0, len(LAYOUT_NAMES[layout])})
    if wrong:
        raise UnsupportedKeypointLayout(
            f'{path}: {wrong[0]} keypoints per person; {layout} has '
            f'{len(LAYOUT_NAMES[layout])}. Only COCO-17 and Human3.6M-17 '
            'keypoints can be lifted')
    return layout


def find_image(image_dir: Optional[Path], frame: KeypointFrame):
    """The frame's image under ``image_dir`` (any depth), or None."""
    if image_dir is None:
        return None
    if frame.image_file:
        found = sorted(image_dir.rglob(Path(frame.image_file).name))
    else:
        found = sorted(p for p in image_dir.rglob(f'{frame.name}.*')
                       if p.suffix.lower() in IMAGE_EXTENSIONS)
    return found[0] if found else None


def blank_canvas(frame: KeypointFrame, kpt_thr: float) -> np.ndarray:
    """A white RGB canvas that holds the frame's keypoints drawn (scoring at
    least ``kpt_thr``; all if none does), at most ``MAX_CANVAS_SIDE`` a
    side: a far-off keypoint does not make a huge picture."""
    points = frame.keypoints.reshape(-1, 2)
    finite = np.isfinite(points).all(1)
    drawn = finite & (frame.scores.reshape(-1) >= kpt_thr)
    points = points[drawn if drawn.any() else finite]
    right, bottom = (points.max(0) if len(points) else (0, 0))
    height, width = (int(min(max(value + 20, 64), MAX_CANVAS_SIDE))
                     for value in (bottom, right))
    return np.full((height, width, 3), 255, np.uint8)


def process_keypoints_file(lifting_for, path: Path, out_dir: Path,
                           layout: str, image_dir: Optional[Path],
                           keep_pictures: bool, write_pictures: bool = True
                           ) -> Output:
    """Lift one saved-keypoints file; ``lifting_for(layout)`` gives the
    :class:`PoseLifting` for the file's layout. Without pictures, a frame's
    ``image_size`` is its image's, or None when it has none."""
    if out_dir.joinpath(f'{path.stem}.json').resolve() == path.resolve():
        raise InputError(f'{path}: the output would overwrite the input; '
                         'choose another --out-dir')
    frames_in, names = read_keypoints_json(path)
    try:
        lifting = lifting_for(resolve_layout(
            layout, names, {f.keypoints.shape[1] for f in frames_in}, path))
    except UnsupportedKeypointLayout as error:
        raise InputError(str(error)) from None
    frames: List[FrameResult] = []
    pictures = []
    with progress(len(frames_in)) as step:
        for index, saved in enumerate(frames_in):
            start = time.perf_counter()
            people = lifting.people(saved.keypoints, saved.scores,
                                    saved.bboxes, saved.bbox_scores)
            frame = FrameResult(index=index, image_size=None, people=people,
                                message=None if people else 'no person saved',
                                seconds_models=time.perf_counter() - start)
            frames.append(frame)
            image_path = find_image(image_dir, saved)
            if image_path is not None:
                image_rgb = read_image(image_path)[..., ::-1].copy()
            elif write_pictures:
                if image_dir is not None:
                    report(f'{path}: no image for {saved.name} under '
                           f'{image_dir}; drawn on a blank canvas')
                image_rgb = blank_canvas(saved, lifting.kpt_thr)
            else:
                image_rgb = None
            if image_rgb is not None:
                frame.image_size = [image_rgb.shape[1], image_rgb.shape[0]]
            if write_pictures:
                lifting.draw(frame, image_rgb)
                pictures.append(out_dir / f'{saved.name}.png')
                write_picture(pictures[-1], frame.picture)
                if not keep_pictures:
                    frame.picture = None
            step()
    report_frames(path, frames, video=len(frames) > 1)
    report_left_out(path, frames, lifting)
    json_path = out_dir / f'{path.stem}.json'
    write_json(json_path, json_document(
        path, 'keypoints_json', lifting, frames,
        [p.name for p in pictures] or [None] * len(frames)))
    return Output(str(path), json_path, pictures, frames)


def run_lift_2d_json(lifting_for, paths, out_dir, layout: str = 'auto',
                     image_dir=None, keep_pictures: bool = False,
                     write_pictures: bool = True) -> RunSummary:
    """Lift every saved-keypoints file in ``paths`` (files or folders);
    ``write_pictures=False``: the JSON only."""
    out_dir = Path(out_dir)
    image_dir = None if image_dir is None else Path(image_dir)
    summary = RunSummary()
    start = time.perf_counter()
    files = []
    for path in paths:
        try:
            files += list_inputs(path, extensions={'.json'})
        except InputError as error:  # a missing path or a folder without JSON
            summary.skip(path, error)
    summary.process_each(
        files, lambda path: process_keypoints_file(
            lifting_for, path, out_dir, layout, image_dir, keep_pictures,
            write_pictures))
    summary.seconds_total = time.perf_counter() - start
    return summary


def coco_annotations_to_predictions(coco_json, out_dir) -> List[Path]:
    """One MMPose prediction JSON per image of a COCO annotation file, in
    the format ``MMPoseInferencer(pred_out_dir=...)`` writes (scores: 1 for
    labelled keypoints). Makes the fixture's ground-truth 2D look like
    MMPose's output, for the lifting-only demo."""
    frames, _ = read_keypoints_json(coco_json)
    written = []
    for frame in frames:
        people = [dict(keypoints=k.tolist(), keypoint_scores=s.tolist(),
                       bbox=[b.tolist()], bbox_score=1.0)
                  for k, s, b in zip(frame.keypoints, frame.scores,
                                     frame.bboxes)]
        path = Path(out_dir) / f'{frame.name}.json'
        write_json(path, people)
        written.append(path)
    return written
