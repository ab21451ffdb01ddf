"""Files in and out of the demos: inputs, pictures, videos and JSON.

Inputs: an image, a video, or a folder of them (its files, not its
subfolders, in name order). Per input, into the output folder:

- an image ``NAME.EXT`` -> ``NAME.png`` (the picture) and ``NAME.json``;
- a video ``NAME.EXT`` -> ``NAME.mp4`` (a picture per frame) and
  ``NAME.json``;
- a keypoints JSON (``keypoints_json.py``) -> a picture per frame and
  ``NAME.json``.

Without pictures (``write_pictures=False``, ``--no-pictures``) only the JSON
is written. Every file is written whole or not at all
(``tipsy_gan.utils.atomic_write``). A bad input (unreadable, corrupt, no
frames) is reported and skipped: the run goes on with the next one; so is a
person that cannot be lifted, or a keypoint that is not finite.
"""
import contextlib
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

import cv2
import numpy as np
from mmengine.utils import ProgressBar

from ..utils.atomic_write import atomic_output_path
from .chain import FrameResult, ImageTo3D, PoseLifting

IMAGE_EXTENSIONS = {'.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp'}
VIDEO_EXTENSIONS = {'.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v', '.mpg',
                    '.mpeg'}
JSON_FORMAT = 'tipsy_gan.pose_3d/1'


class InputError(ValueError):
    """An input that cannot be used; the run reports it and goes on."""


def report(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Output:
    """What one input produced."""
    source: str
    json_path: Path
    picture_paths: List[Path]
    frames: List[FrameResult]


@dataclass
class RunSummary:
    outputs: List[Output] = field(default_factory=list)
    failures: List[Tuple[str, str]] = field(default_factory=list)
    frames: int = 0
    # people with a NaN or infinite keypoint (bad data; a person left out by
    # the low-confidence policy is reported, but is not bad data)
    people_skipped: int = 0
    seconds_models: float = 0.0
    seconds_total: float = 0.0

    def add(self, output: Output) -> None:
        self.outputs.append(output)
        self.frames += len(output.frames)
        self.people_skipped += sum(
            bool(p.non_finite_keypoints)
            for f in output.frames for p in f.people)
        self.seconds_models += sum(f.seconds_models for f in output.frames)

    def skip(self, path, error: InputError) -> None:
        """Report an input that cannot be used and count it."""
        report(f'skipped: {error}')
        self.failures.append((str(path), str(error)))

    def process_each(self, paths, process) -> None:
        """``process(path)`` for each path; an ``InputError`` skips that
        path, reported and counted, and the run goes on."""
        for path in paths:
            try:
                output = process(path)
            except InputError as error:
                self.skip(path, error)
                continue
            self.add(output)

    def fps_line(self, what: str) -> str:
        if not self.frames:
            return f'{what}: no frame processed'
        return (f'{what}: {self.frames} frames in {self.seconds_total:.1f} s: '
                f'{self.frames / self.seconds_total:.2f} frames/s end to end '
                f'(reading, models, drawing, writing); '
                f'{self.frames / max(self.seconds_models, 1e-9):.2f} frames/s'
                ' models only')


# ---------------------------------------------------------------- inputs
def list_inputs(path, extensions=IMAGE_EXTENSIONS | VIDEO_EXTENSIONS
                ) -> List[Path]:
    """The input files: ``path`` itself, or a folder's files by name."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.exists():
        raise InputError(f'input not found: {path}')
    files = sorted(p for p in path.iterdir()
                   if p.is_file() and p.suffix.lower() in extensions)
    if not files:
        raise InputError(
            f'no input in folder {path}: it has no file ending in '
            f'{", ".join(sorted(extensions))}')
    return files


def is_video(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_EXTENSIONS


def read_image(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None or image.size == 0:
        raise InputError(f'cannot read image {path}: missing, corrupt or not '
                         'an image')
    return image


def video_frames(path: Path) -> Tuple[Iterator[np.ndarray], float, int]:
    """(BGR frames, fps, frame count or 0 when unknown) of a video file."""
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        capture.release()
        raise InputError(f'cannot open video {path}: missing, corrupt or '
                         'not a video')
    fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
    count = max(int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), 0)

    def frames():
        try:
            while True:
                ok, frame = capture.read()
                if not ok:
                    return
                yield frame
        finally:
            capture.release()

    return frames(), fps, count


@contextlib.contextmanager
def progress(count: int):
    """mmengine's progress bar on stderr over ``count`` frames (none for
    fewer than two); yields the function to call after each frame."""
    if count < 2:
        yield lambda: None
        return
    bar = ProgressBar(count, file=sys.stderr)
    try:
        yield bar.update
    finally:
        bar.file.write('\n')


# --------------------------------------------------------------- outputs
def write_json(path: Path, document: dict) -> None:
    with atomic_output_path(path) as tmp:
        with open(tmp, 'w') as file:
            json.dump(document, file, indent=1, allow_nan=False)


def write_picture(path: Path, picture_rgb: np.ndarray) -> None:
    ok, encoded = cv2.imencode(path.suffix, picture_rgb[..., ::-1])
    if not ok:
        raise RuntimeError(f'cannot encode {path}')
    with atomic_output_path(path) as tmp:
        Path(tmp).write_bytes(encoded.tobytes())


class VideoOut:
    """Frames into a video at ``path``: there whole on success, else absent."""

    def __init__(self, path: Path, fps: float):
        self.path, self.fps = Path(path), fps
        self.writer, self.size, self.frames = None, None, 0

    @contextlib.contextmanager
    def open(self):
        with atomic_output_path(self.path) as tmp:
            # OpenCV picks the container from the extension, so it writes
            # beside the temporary file with the final file's extension.
            self.encoded = tmp + self.path.suffix
            try:
                yield self
                self.close()
                if self.frames == 0:
                    raise InputError(f'no frame written to {self.path}')
                os.replace(self.encoded, tmp)
            finally:
                self.close()
                if os.path.exists(self.encoded):
                    os.remove(self.encoded)

    def write(self, picture_rgb: np.ndarray) -> None:
        size = (picture_rgb.shape[1], picture_rgb.shape[0])
        if self.writer is None:
            self.size = size
            self.writer = cv2.VideoWriter(
                self.encoded, cv2.VideoWriter_fourcc(*'mp4v'), self.fps, size)
            if not self.writer.isOpened():
                raise RuntimeError(f'OpenCV cannot write {self.path}')
        if size != self.size:  # the writer needs one size: pad or crop
            canvas = np.full((self.size[1], self.size[0], 3), 255, np.uint8)
            h, w = min(size[1], self.size[1]), min(size[0], self.size[0])
            canvas[:h, :w] = picture_rgb[:h, :w]
            picture_rgb = canvas
        self.writer.write(np.ascontiguousarray(picture_rgb[..., ::-1]))
        self.frames += 1

    def close(self) -> None:
        if self.writer is not None:
            self.writer.release()
            self.writer = None


def json_document(source, kind: str, lifting: PoseLifting, frames,
                  pictures: List[Optional[str]], **extra) -> dict:
    """The output JSON (schema: projects/tipsy_gan/README.md)."""
    return dict(
        format=JSON_FORMAT, source=str(source), kind=kind,
        **lifting.json_header(), **extra,
        frames=[frame.to_json(picture)
                for frame, picture in zip(frames, pictures)])


def report_frames(source, frames: List[FrameResult], video: bool):
    for frame in frames:
        where = f'{source} frame {frame.index}' if video else str(source)
        if frame.message:
            report(f'{where}: {frame.message}')
        for number, person in enumerate(frame.people):
            if person.skipped:
                report(f'{where}: person {number} not lifted: '
                       f'{person.skipped}')
            elif person.non_finite_keypoints:
                report(f'{where}: person {number}: non-finite 2D keypoints '
                       'skipped (not drawn, null in the JSON): '
                       f'{", ".join(person.non_finite_keypoints)}')


def report_left_out(source, frames: List[FrameResult],
                    lifting: PoseLifting) -> None:
    """One line for the people of ``frames`` not drawn in 3D."""
    left_out = [f.left_out_3d for f in frames if f.left_out_3d]
    if left_out:
        report(f'{source}: {sum(left_out)} person(s) in {len(left_out)} '
               f'frame(s) not drawn in 3D (at most --max-people-3d '
               f'{lifting.max_people_3d} a picture; --num-instances '
               f'{lifting.num_instances}); the JSON has everyone')


# ---------------------------------------------------- images and videos
def process_image(chain: ImageTo3D, path: Path, out_dir: Path,
                  keep_pictures: bool, write_pictures: bool = True) -> Output:
    frame = chain.process(read_image(path), draw=write_pictures)
    report_frames(path, [frame], video=False)
    report_left_out(path, [frame], chain.lifting)
    pictures = []
    if write_pictures:
        pictures.append(out_dir / f'{path.stem}.png')
        write_picture(pictures[0], frame.picture)
    json_path = out_dir / f'{path.stem}.json'
    write_json(json_path, json_document(
        path, 'image', chain.lifting, [frame],
        [pictures[0].name if pictures else None]))
    if not keep_pictures:
        frame.picture = None
    return Output(str(path), json_path, pictures, [frame])


def process_video(chain: ImageTo3D, path: Path, out_dir: Path,
                  keep_pictures: bool, write_pictures: bool = True) -> Output:
    frames_in, fps, count = video_frames(path)
    picture_path = out_dir / f'{path.stem}.mp4'
    json_path = out_dir / f'{path.stem}.json'
    frames: List[FrameResult] = []
    lifting = chain.lifting
    num_instances = lifting.num_instances
    try:
        with (VideoOut(picture_path, fps).open() if write_pictures else
              contextlib.nullcontext()) as video, progress(count) as step:
            for index, image in enumerate(frames_in):
                frame = chain.process(image, index, draw=write_pictures)
                if index == 0 and lifting.num_instances < 0:
                    # one panel count for the whole video, so one frame size
                    # (MMPose's rule: the first frame's number of people)
                    lifting.num_instances = max(len(frame.people), 1)
                if video:
                    video.write(frame.picture)
                report_frames(path, [frame], video=True)
                if not keep_pictures:
                    frame.picture = None
                frames.append(frame)
                step()
            if not frames:
                raise InputError('no frame')
    except InputError:
        raise InputError(f'cannot decode any frame of video {path}') from None
    finally:
        lifting.num_instances = num_instances
    report_left_out(path, frames, lifting)
    if count and len(frames) < count:
        report(f'{path}: decoding stopped after {len(frames)} of {count} '
               'frames (corrupt from there?)')
    picture = picture_path.name if write_pictures else None
    write_json(json_path, json_document(path, 'video', lifting, frames,
                                        [picture] * len(frames), fps=fps))
    return Output(str(path), json_path,
                  [picture_path] if write_pictures else [], frames)


def run_image_to_3d(chain: ImageTo3D, inputs, out_dir,
                    keep_pictures: bool = False,
                    write_pictures: bool = True) -> RunSummary:
    """Every image and video of ``inputs`` through ``chain`` into ``out_dir``
    (``write_pictures=False``: the JSON only).

    Raises:
        InputError: ``inputs`` does not exist, or is a folder without images
            or videos.
    """
    out_dir = Path(out_dir)
    summary = RunSummary()
    start = time.perf_counter()
    summary.process_each(
        list_inputs(inputs),
        lambda path: (process_video if is_video(path) else process_image)(
            chain, path, out_dir, keep_pictures, write_pictures))
    summary.seconds_total = time.perf_counter() - start
    return summary
