"""MMPose codec for TIPSy's normalised 2D input (paper §3).

The maths is :func:`tipsy_gan.core.normalization.normalize_pose_2d`; this
file only adapts it to MMPose's ``GenerateTarget`` / ``PackPoseInputs`` /
head-decoder conventions, following ``mmpose.codecs.ImagePoseLifting``.
"""
from typing import Optional, Tuple

import numpy as np
from mmpose.codecs.base import BaseKeypointCodec
from mmpose.registry import KEYPOINT_CODECS

from tipsy_gan.core.normalization import normalize_pose_2d


@KEYPOINT_CODECS.register_module()
class TIPSyLiftingCodec(BaseKeypointCodec):
    """Root-centred, max-normalised 2D input for TIPSy lifters.

    Encode (pixels in, normalised out):

    - ``keypoint_labels`` ``(N, K-1, 2)`` float32: the 2D pose with the root
      at the origin, divided by its largest |x| or |y| (so in [-1, 1]), root
      row removed (``remove_root=True``, the default: the paper's generators
      never see the constant root). ``(N, K, 2)`` if ``remove_root=False``.
      ``PackPoseInputs`` turns this into the model input.
    - ``keypoint_labels_visible`` ``(N, K-1)``: the 2D visibilities, same
      joints.
    - ``keypoints_2d_scale`` ``(N,)`` and ``keypoints_2d_root`` ``(N, 2)``:
      the normalising scale and root in pixels; :meth:`decode` needs the
      scale. Packed into ``gt_instances`` (no ``meta_keys`` entry needed).
    - Only when ``lifting_target`` ``(T, K, 3)`` is given:
      ``lifting_target_label`` ``(T, K-1, 3)`` (or K): root-relative 3D
      target in the dataset's unit (metres for Human36mDataset), for
      supervised variants; ``lifting_target_weight`` ``(T, K-1)``: 1 where
      ``lifting_target_visible > 0.5``.

    ``lifting_target`` and ``lifting_target_visible`` are passed through to
    ``gt_instances`` for the metrics. ``InstanceData`` needs one length for
    all these fields, so through ``PackPoseInputs`` use ``seq_len=1``
    (single-frame lifting, as TIPSy is); :meth:`encode` itself takes any N.

    Decode (network output in, root-relative pixel-scale 3D out): see
    :meth:`decode`.

    Args:
        num_keypoints (int): K, joints per pose (17 for Human3.6M).
        root_index (int): the root (pelvis). Default 0.
        remove_root (bool): drop the root row from the 2D input and 3D
            target. Default True.
    """

    auxiliary_encode_keys = {'lifting_target', 'lifting_target_visible'}

    instance_mapping_table = dict(
        lifting_target='lifting_target',
        lifting_target_visible='lifting_target_visible',
        keypoints_2d_scale='keypoints_2d_scale',
        keypoints_2d_root='keypoints_2d_root',
    )
    label_mapping_table = dict(
        lifting_target_label='lifting_target_label',
        lifting_target_weight='lifting_target_weight',
    )

    def __init__(self,
                 num_keypoints: int,
                 root_index: int = 0,
                 remove_root: bool = True):
        super().__init__()
        if not 0 <= root_index < num_keypoints:
            raise ValueError(f'root_index {root_index} is out of range for '
                             f'{num_keypoints} keypoints')
        self.num_keypoints = num_keypoints
        self.root_index = root_index
        self.remove_root = remove_root

    @property
    def num_output_keypoints(self) -> int:
        """Joints in ``keypoint_labels`` (16 for H36M with the root removed)."""
        return self.num_keypoints - 1 if self.remove_root else self.num_keypoints

    def _drop_root(self, array: np.ndarray, axis: int) -> np.ndarray:
        if not self.remove_root:
            return array
        return np.delete(array, self.root_index, axis=axis)

    def encode(self,
               keypoints: np.ndarray,
               keypoints_visible: Optional[np.ndarray] = None,
               lifting_target: Optional[np.ndarray] = None,
               lifting_target_visible: Optional[np.ndarray] = None) -> dict:
        """Normalise 2D keypoints (and root-centre the 3D target, if given).

        Args:
            keypoints (np.ndarray): ``(N, K, 2)`` 2D keypoints in pixels.
            keypoints_visible (np.ndarray, optional): ``(N, K)``.
            lifting_target (np.ndarray, optional): ``(T, K, 3)`` 3D keypoints.
            lifting_target_visible (np.ndarray, optional): ``(T, K)``.

        Returns:
            dict: the items listed in the class docstring.

        Raises:
            ValueError: wrong shapes, NaN/inf, or a degenerate 2D pose.
        """
        keypoints = np.asarray(keypoints, dtype=np.float32)
        if keypoints.ndim == 2:
            keypoints = keypoints[None]
        if keypoints.ndim != 3 or keypoints.shape[1:] != (self.num_keypoints,
                                                          2):
            raise ValueError(f'keypoints must have shape (N, '
                             f'{self.num_keypoints}, 2), got '
                             f'{keypoints.shape}')
        if keypoints_visible is None:
            keypoints_visible = np.ones(keypoints.shape[:2], dtype=np.float32)
        keypoints_visible = np.asarray(keypoints_visible, dtype=np.float32)
        if keypoints_visible.shape != keypoints.shape[:2]:
            raise ValueError(f'keypoints_visible must have shape '
                             f'{keypoints.shape[:2]}, got '
                             f'{keypoints_visible.shape}')

        normalised, scale, root = normalize_pose_2d(keypoints,
                                                    self.root_index)
        encoded = dict(
            keypoint_labels=self._drop_root(normalised, 1).astype(np.float32),
            keypoint_labels_visible=self._drop_root(keypoints_visible, 1),
            keypoints_2d_scale=scale.astype(np.float32),
            keypoints_2d_root=root.astype(np.float32))

        if lifting_target is not None:
            encoded.update(
                self._encode_target(lifting_target, lifting_target_visible))
        return encoded

    def _encode_target(self, lifting_target: np.ndarray,
                       lifting_target_visible: Optional[np.ndarray]) -> dict:
        lifting_target = np.asarray(lifting_target, dtype=np.float32)
        if (lifting_target.ndim != 3
                or lifting_target.shape[1:] != (self.num_keypoints, 3)):
            raise ValueError(f'lifting_target must have shape (T, '
                             f'{self.num_keypoints}, 3), got '
                             f'{lifting_target.shape}')
        if lifting_target_visible is None:
            weight = np.ones(lifting_target.shape[:2], dtype=np.float32)
        else:
            lifting_target_visible = np.asarray(lifting_target_visible)
            # inference_pose_lifter_model passes (T, K, 1) visibilities.
            if (lifting_target_visible.ndim == 3
                    and lifting_target_visible.shape[-1] == 1):
                lifting_target_visible = lifting_target_visible[..., 0]
            if lifting_target_visible.shape != lifting_target.shape[:2]:
                raise ValueError(f'lifting_target_visible must have shape '
                                 f'{lifting_target.shape[:2]}, got '
                                 f'{lifting_target_visible.shape}')
            weight = (lifting_target_visible > 0.5).astype(np.float32)
        root = lifting_target[:, self.root_index:self.root_index + 1]
        return dict(
            lifting_target_label=self._drop_root(lifting_target - root, 1),
            lifting_target_weight=self._drop_root(weight, 1))

    def decode(self,
               encoded: np.ndarray,
               keypoints_2d_scale: Optional[np.ndarray] = None
               ) -> Tuple[np.ndarray, np.ndarray]:
        """Root-relative 3D poses from lifter output in the normalised frame.

        The lifter outputs ``(x, y, z_hat)`` per joint in the normalised 2D
        frame (x right, y down as in the image, z_hat away from the camera,
        all in [-1, 1]). Decoding puts the root back at (0, 0, 0) and
        multiplies all three axes by the 2D normalising scale, which gives a
        pose in pixel units, oriented like camera coordinates.

        An unsupervised lifter has no metric scale: compare with millimetre
        ground truth only after alignment (N-MPJPE, PA-MPJPE); unaligned
        MPJPE of these poses is not meaningful.

        Args:
            encoded (np.ndarray): ``(N, K-1, 3)`` (root removed) or
                ``(N, K, 3)``; a single pose ``(K', 3)`` is also accepted.
            keypoints_2d_scale (np.ndarray, optional): ``(N,)`` (or any shape
                with N or 1 elements) scales from :meth:`encode`. ``None``
                keeps the normalised units.

        Returns:
            tuple:
            - keypoints (np.ndarray): ``(N, K, 3)``, root at the origin.
            - scores (np.ndarray): ``(N, K)`` ones.
        """
        keypoints = np.asarray(encoded, dtype=np.float32)
        if keypoints.ndim == 2:
            keypoints = keypoints[None]
        if keypoints.ndim != 3 or keypoints.shape[-1] != 3:
            raise ValueError(f'encoded must have shape (N, K, 3), got '
                             f'{np.shape(encoded)}')
        if keypoints.shape[1] == self.num_keypoints - 1:
            keypoints = np.insert(
                keypoints, self.root_index, 0.0, axis=1)
        elif keypoints.shape[1] == self.num_keypoints:
            # a full-skeleton lifter may put the root anywhere on the z axis
            keypoints = keypoints - keypoints[:, self.root_index:self.
                                              root_index + 1]
        else:
            raise ValueError(f'encoded must have {self.num_keypoints - 1} or '
                             f'{self.num_keypoints} joints, got '
                             f'{keypoints.shape[1]}')

        # MMPose's regression heads pass their ``target_root`` here, an empty
        # tensor when there is none: that means "no scale", not an error.
        if keypoints_2d_scale is not None and np.size(keypoints_2d_scale) > 0:
            scale = np.asarray(keypoints_2d_scale, dtype=np.float32).reshape(-1)
            if scale.size not in (1, keypoints.shape[0]):
                raise ValueError(f'keypoints_2d_scale has {scale.size} '
                                 f'values for {keypoints.shape[0]} poses')
            if not (np.isfinite(scale).all() and (scale > 0).all()):
                raise ValueError('keypoints_2d_scale must be finite and > 0')
            keypoints = keypoints * scale[:, None, None]

        scores = np.ones(keypoints.shape[:-1], dtype=np.float32)
        return keypoints, scores
