"""Images to 3D: an MMPose top-down 2D model, then TIPSy.

Per frame (:meth:`ImageTo3D.process`):

1. person boxes: an mmdet detector if one is given, else the whole image
   (single-person input), as MMPose's ``topdown_demo_with_mmdet.py``;
2. 2D keypoints: ``mmpose.apis.inference_topdown`` with any top-down model;
3. conversion to Human3.6M's 17 joints, the low-confidence policy and
   TIPSy's lifting (:class:`PoseLifting`), in torch on the lifter's device;
4. a picture: the image with the 2D skeleton beside a 3D panel per person,
   its pose as the camera sees it and from the side (the lifter config's
   visualizer, ``TIPSyPose3dVisualizer``).

Where the data is, with ``device='cuda'``: the detector, the 2D network and
the lifter run on the GPU. MMPose decodes the 2D heatmaps to keypoints with
NumPy (and takes person boxes as NumPy), so the (N, K, 2) keypoints and
scores come to the host there; they go to the GPU once, and conversion,
policy, normalisation, lifting and decoding stay there (scalar checks
synchronise, no keypoints move); the results come back at the end, for the
picture and the JSON.
"""
import time
from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np
import torch
from mmengine.structures import InstanceData
from mmpose.apis import inference_topdown, init_model
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.evaluation.functional import nms
from mmpose.models.pose_estimators import TopdownPoseEstimator
from mmpose.registry import VISUALIZERS
from mmpose.structures import PoseDataSample

from ..core.skeleton import BONES, H36M_JOINT_NAMES
from ..paths import DEFAULT_LIFTER_CONFIG, PUBLISHED_STUDENT
from ..utils.checkpoint_compat import require_all_weights
from .keypoint_conversion import (LAYOUT_NAMES, keypoint_layout,
                                  lifting_mask, skip_reason, to_h36m)
from .lifting import lift_h36m, load_pose_lifter, to_display_frame

# 2D keypoints farther off than this (pixels) are not drawn (OpenCV draws at
# int32 coordinates)
MAX_DRAWN_COORDINATE = 1e6
COORDINATES_3D = (
    'root-relative camera axes: x right, y down, z away from the camera; '
    'the pelvis (joint 0) at the origin; in the pixel units of the '
    "person's 2D pose (TIPSy has no metric scale)")


def listed(array):
    """Rounded numbers as JSON lists; NaN and infinities (not JSON) as None."""
    if array is None:
        return None
    array = np.asarray(array, dtype=float).round(4)
    return np.where(np.isfinite(array), array, None).tolist()


@dataclass
class Person:
    """One person of one frame, as written to the JSON."""
    bbox: List[float]
    bbox_score: Optional[float]
    keypoints_2d: np.ndarray  # (K, 2), the 2D model's layout, as drawn
    keypoint_scores_2d: np.ndarray  # (K,)
    keypoints_2d_h36m: np.ndarray  # (17, 2), the lifter's input
    keypoint_scores_2d_h36m: np.ndarray  # (17,)
    keypoints_3d: Optional[np.ndarray]  # (17, 3), None when skipped
    skipped: Optional[str] = None  # why it was not lifted
    # names of 2D keypoints that are NaN or infinite: not drawn, null in JSON
    non_finite_keypoints: List[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return dict(
            bbox=listed(self.bbox), bbox_score=listed(self.bbox_score),
            keypoints_2d=listed(self.keypoints_2d),
            keypoint_scores_2d=listed(self.keypoint_scores_2d),
            keypoints_2d_h36m=listed(self.keypoints_2d_h36m),
            keypoint_scores_2d_h36m=listed(self.keypoint_scores_2d_h36m),
            keypoints_3d=listed(self.keypoints_3d), skipped=self.skipped)


@dataclass
class FrameResult:
    """One frame: its people, its picture and what was drawn on it."""
    index: int
    image_size: List[int]  # [width, height]
    people: List[Person]
    message: Optional[str] = None  # e.g. nobody found
    picture: Optional[np.ndarray] = None  # RGB
    drawn_2d: Optional[PoseDataSample] = None
    drawn_3d: Optional[PoseDataSample] = None
    seconds_models: float = 0.0  # 2D + conversion + lifting
    left_out_3d: int = 0  # people not drawn in 3D (--max-people-3d)

    def to_json(self, picture_name: Optional[str]) -> dict:
        return dict(frame_index=self.index, image_size=self.image_size,
                    picture=picture_name, message=self.message,
                    people=[person.to_json() for person in self.people])


@dataclass
class PoseLifting:
    """Keypoints in a 2D model's layout -> Human3.6M 2D -> TIPSy 3D -> picture.

    Args:
        lifter: the TIPSy PoseLifter (:func:`load_pose_lifter`).
        layout: the 2D keypoints' layout, 'coco' or 'h36m'.
        meta_2d: the 2D layout's MMPose metainfo (colours and skeleton).
        min_keypoint_score: the low-confidence policy's threshold on the
            converted joints' scores (None: lift everyone; see
            ``keypoint_conversion``).
        kpt_thr: 2D keypoints scoring below it are not drawn (MMPose's).
        num_instances: 3D panels per picture (-1: one per person).
        max_people_3d: at most this many 3D panels per picture (None: no
            cap); the frame counts the people left out.
    """
    lifter: torch.nn.Module
    layout: str
    meta_2d: dict
    min_keypoint_score: Optional[float] = 0.3
    kpt_thr: float = 0.3
    num_instances: int = -1
    max_people_3d: Optional[int] = 10
    radius: int = 3
    thickness: int = 1
    draw_bbox: bool = False
    visualizer: object = field(init=False, repr=False)

    def __post_init__(self):
        cfg = self.lifter.cfg.visualizer.copy()
        # a name of its own (mmengine keeps visualizers by name); no backends:
        # the pictures are written by the caller
        cfg.update(name=f'tipsy_pose_lifting_{id(self)}', vis_backends=[],
                   radius=self.radius, line_width=self.thickness,
                   det_kpt_color=self.meta_2d.get('keypoint_colors'),
                   det_dataset_skeleton=self.meta_2d.get('skeleton_links'),
                   det_dataset_link_color=self.meta_2d.get(
                       'skeleton_link_colors'))
        self.visualizer = VISUALIZERS.build(cfg)
        self.visualizer.set_dataset_meta(self.lifter.dataset_meta)

    @property
    def device(self) -> torch.device:
        return next(self.lifter.parameters()).device

    def people(self, keypoints, scores, bboxes, bbox_scores=None
               ) -> List[Person]:
        """People of one frame from (N, K, 2) keypoints and (N, K) scores.

        Conversion, policy and lifting run in torch on the lifter's device
        (only scalar checks, such as "anyone to lift?", synchronise); the
        results come to the host at the end.
        """
        keypoints = np.asarray(keypoints, np.float32)
        scores = np.asarray(scores, np.float32)
        if len(keypoints) == 0:
            return []
        # the one copy to the device
        keypoints_h36m, scores_h36m = to_h36m(
            torch.as_tensor(keypoints, device=self.device),
            torch.as_tensor(scores, device=self.device), self.layout)
        liftable = lifting_mask(keypoints_h36m, scores_h36m,
                                self.min_keypoint_score)
        lifted = torch.full(keypoints_h36m.shape[:2] + (3, ), float('nan'),
                            device=self.device)
        if bool(liftable.any()):
            lifted[liftable] = lift_h36m(self.lifter,
                                         keypoints_h36m[liftable])
        # back to the host after the last stage, for the picture and JSON
        keypoints_h36m, scores_h36m, liftable, lifted = (
            t.cpu().numpy()
            for t in (keypoints_h36m, scores_h36m, liftable, lifted))
        names = LAYOUT_NAMES[self.layout]
        people = []
        for i in range(len(keypoints_h36m)):
            non_finite = [names[k] for k in np.flatnonzero(
                ~np.isfinite(keypoints[i]).all(-1))]
            skipped = None
            if not liftable[i]:
                skipped = skip_reason(keypoints_h36m[i], scores_h36m[i],
                                      self.min_keypoint_score)
                if not np.isfinite(keypoints_h36m[i]).all():
                    skipped = ('non-finite 2D keypoints: '
                               f'{", ".join(non_finite)}')
            people.append(Person(
                bbox=np.asarray(bboxes[i], float)[:4].tolist(),
                bbox_score=None if bbox_scores is None else float(
                    bbox_scores[i]),
                keypoints_2d=keypoints[i], keypoint_scores_2d=scores[i],
                keypoints_2d_h36m=keypoints_h36m[i],
                keypoint_scores_2d_h36m=scores_h36m[i],
                keypoints_3d=lifted[i] if liftable[i] else None,
                skipped=skipped, non_finite_keypoints=non_finite))
        return people

    def draw(self, frame: FrameResult, image_rgb: np.ndarray) -> FrameResult:
        """Draw the frame's people: 2D on the image, then each one's 3D in a
        camera view and a side view (at most ``max_people_3d`` of them).

        A keypoint that is not finite, or too far off to draw, is not drawn
        (MMPose's drawing turns coordinates to int first)."""
        num_keypoints = len(LAYOUT_NAMES[self.layout])
        people = frame.people
        keypoints_2d = np.array([p.keypoints_2d for p in people],
                                np.float32).reshape(-1, num_keypoints, 2)
        drawable = (np.abs(keypoints_2d) < MAX_DRAWN_COORDINATE).all(-1)
        drawn_2d = PoseDataSample(pred_instances=InstanceData(
            keypoints=np.where(drawable[..., None], keypoints_2d, -1.0),
            keypoints_visible=drawable.astype(np.float32),
            keypoint_scores=np.array([p.keypoint_scores_2d for p in people],
                                     np.float32).reshape(-1, num_keypoints),
            bboxes=np.nan_to_num(np.clip(
                np.array([p.bbox for p in people], np.float32).reshape(-1, 4),
                -MAX_DRAWN_COORDINATE, MAX_DRAWN_COORDINATE))))
        nan_pose = np.full((len(H36M_JOINT_NAMES), 3), np.nan)
        keypoints_3d = np.array(
            [nan_pose if p.keypoints_3d is None else p.keypoints_3d
             for p in people], np.float64).reshape(-1, len(nan_pose), 3)
        drawn_3d = PoseDataSample(pred_instances=InstanceData(
            keypoints=to_display_frame(keypoints_3d),
            keypoint_scores=np.ones(keypoints_3d.shape[:2], np.float32)))
        panels = len(people) if self.num_instances < 0 else \
            self.num_instances
        if self.max_people_3d is not None:
            panels = min(panels, self.max_people_3d)
        frame.left_out_3d = max(len(people) - panels, 0)
        frame.picture = self.visualizer.add_datasample(
            'frame', image_rgb, data_sample=drawn_3d,
            det_data_sample=drawn_2d, draw_gt=False,
            draw_bbox=self.draw_bbox, dataset_2d=self.layout,
            dataset_3d='h36m', kpt_thr=self.kpt_thr,
            num_instances=max(panels, 1), show=False)
        frame.drawn_2d, frame.drawn_3d = drawn_2d, drawn_3d
        return frame

    def json_header(self) -> dict:
        """What every output JSON says about its keypoints."""
        return dict(
            keypoint_layout_2d=self.layout,
            keypoint_names_2d=list(LAYOUT_NAMES[self.layout]),
            keypoint_names_3d=list(H36M_JOINT_NAMES),
            skeleton_3d=[list(bone) for bone in BONES],
            coordinates_3d=COORDINATES_3D,
            min_keypoint_score=self.min_keypoint_score)


def coco_metainfo() -> dict:
    """MMPose's COCO metainfo (keypoint colours and skeleton)."""
    return parse_pose_metainfo(
        dict(from_file='configs/_base_/datasets/coco.py'))


class ImageTo3D:
    """The whole chain for one image at a time (see the module docstring).

    Args:
        pose2d_config, pose2d_checkpoint: any MMPose top-down 2D model
            (checkpoint None: initial weights, for tests).
        lifter_config, lifter_checkpoint: the TIPSy PoseLifter; the
            published student by default.
        det_config, det_checkpoint: an optional mmdet detector for person
            boxes; without one the whole image is one person's box.
        det_cat_id, bbox_thr, nms_thr: which detections are people (as
            MMPose's demos).
        device: 'cpu', 'cuda', 'cuda:1', ...
        cfg_options_2d: overrides for the 2D config (e.g. no flip test).
        other keyword arguments: :class:`PoseLifting`'s.

    Raises:
        UnsupportedKeypointLayout: the 2D model's keypoints are neither
            COCO's 17 nor Human3.6M's 17.
    """

    def __init__(self, pose2d_config, pose2d_checkpoint=None,
                 lifter_config=DEFAULT_LIFTER_CONFIG,
                 lifter_checkpoint=PUBLISHED_STUDENT, det_config=None,
                 det_checkpoint=None, det_cat_id=0, bbox_thr=0.3,
                 nms_thr=0.3, device='cpu', cfg_options_2d=None,
                 **lifting_options):
        self.pose2d = init_model(str(pose2d_config), pose2d_checkpoint,
                                 device=device, cfg_options=cfg_options_2d)
        if not isinstance(self.pose2d, TopdownPoseEstimator):
            raise ValueError(f'{pose2d_config} is not a top-down MMPose '
                             'model (TopdownPoseEstimator)')
        require_all_weights(self.pose2d, pose2d_checkpoint,
                            f'the 2D model of {pose2d_config}')
        layout = keypoint_layout(self.pose2d.dataset_meta)
        self.detector = None
        if det_config is not None:
            from mmdet.apis import init_detector
            from mmpose.utils import adapt_mmdet_pipeline
            self.detector = init_detector(str(det_config), det_checkpoint,
                                          device=device)
            require_all_weights(self.detector, det_checkpoint,
                                f'the detector of {det_config}')
            self.detector.cfg = adapt_mmdet_pipeline(self.detector.cfg)
        self.det_cat_id, self.bbox_thr, self.nms_thr = (det_cat_id, bbox_thr,
                                                        nms_thr)
        lifting_options.setdefault('draw_bbox', self.detector is not None)
        self.lifting = PoseLifting(
            load_pose_lifter(lifter_config, lifter_checkpoint, device), layout,
            self.pose2d.dataset_meta, **lifting_options)

    def person_boxes(self, image_bgr) -> Optional[np.ndarray]:
        """(N, 5) boxes and scores from the detector; None: whole image."""
        if self.detector is None:
            return None
        from mmdet.apis import inference_detector
        found = inference_detector(self.detector,
                                   image_bgr).pred_instances.cpu().numpy()
        boxes = np.concatenate([found.bboxes, found.scores[:, None]], axis=1)
        boxes = boxes[(found.labels == self.det_cat_id)
                      & (found.scores > self.bbox_thr)]
        return boxes[nms(boxes, self.nms_thr)]

    def process(self, image_bgr: np.ndarray, index: int = 0,
                draw: bool = True) -> FrameResult:
        """2D, conversion, policy, lifting and (``draw``) picture for one
        BGR image."""
        height, width = image_bgr.shape[:2]
        start = time.perf_counter()
        boxes = self.person_boxes(image_bgr)
        message = None
        if boxes is not None and len(boxes) == 0:
            people = []
            message = (f'no person found (no detection of category '
                       f'{self.det_cat_id} above --bbox-thr {self.bbox_thr})')
        else:
            samples = inference_topdown(
                self.pose2d, image_bgr,
                None if boxes is None else boxes[:, :4])
            instances = [s.pred_instances for s in samples]
            people = self.lifting.people(
                np.concatenate([i.keypoints for i in instances]),
                np.concatenate([i.keypoint_scores for i in instances]),
                np.concatenate([i.bboxes for i in instances]),
                None if boxes is None else boxes[:, 4])
        frame = FrameResult(index=index, image_size=[width, height],
                            people=people, message=message,
                            seconds_models=time.perf_counter() - start)
        if not draw:
            return frame
        return self.lifting.draw(frame, image_bgr[..., ::-1].copy())
