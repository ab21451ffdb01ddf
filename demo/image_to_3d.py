"""Images and video to 3D: an MMPose top-down 2D model, then TIPSy.

    python demo/image_to_3d.py POSE2D_CONFIG POSE2D_CHECKPOINT --input PATH \
        [--det-config DET_CONFIG --det-checkpoint DET_CHECKPOINT] \
        [--out-dir outputs/demo] [--device cuda] [--no-pictures] \
        [--max-people-3d 10]

PATH is an image, a video or a folder of them. Without a detector the whole
image is the (one) person's box. Writes per image NAME.png + NAME.json, per
video NAME.mp4 + NAME.json, into --out-dir (JSON schema, low-confidence
policy and bad-input behaviour: projects/tipsy_gan/README.md, "Demo: images
and video to 3D"). POSE2D_CHECKPOINT 'none' runs the 2D model at its initial
weights (tests only). --no-pictures writes the JSON only; a video shows a
progress bar on stderr; at most --max-people-3d people are drawn in 3D per
picture (a message counts the others; the JSON has everyone).

Exit status: 0 every input done; 3 finished, but some inputs were skipped or
some people had NaN or infinite keypoints (each reported); 2 nothing could run
(a usage error, no usable input, an unusable model); 1 an unexpected error
(Python's traceback).
"""
import argparse
import sys

import torch
from mmengine.config import DictAction

from tipsy_gan.apis.chain import ImageTo3D
from tipsy_gan.apis.demo_args import (EXIT_STATUS_HELP, add_lifting_args,
                                      fail, finish, lifting_options)
from tipsy_gan.apis.demo_io import InputError, run_image_to_3d


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                     epilog=EXIT_STATUS_HELP)
    parser.add_argument('pose2d_config', help='MMPose top-down 2D config')
    parser.add_argument('pose2d_checkpoint',
                        help="its checkpoint ('none': initial weights)")
    parser.add_argument('--input', required=True,
                        help='an image, a video, or a folder of them')
    parser.add_argument('--det-config', help='mmdet config (person boxes)')
    parser.add_argument('--det-checkpoint', help='mmdet checkpoint')
    parser.add_argument('--det-cat-id', type=int, default=0,
                        help="the detector's person category")
    parser.add_argument('--bbox-thr', type=float, default=0.3,
                        help='person box score threshold')
    parser.add_argument('--nms-thr', type=float, default=0.3,
                        help='IoU threshold of box non-maximum suppression')
    parser.add_argument('--pose2d-cfg-options', nargs='+', action=DictAction,
                        help='override 2D config settings, key=value (e.g. '
                        'model.test_cfg.flip_test=False)')
    parser.add_argument('--threads', type=int,
                        help='torch CPU threads (default: torch\'s)')
    add_lifting_args(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    checkpoint = (None if args.pose2d_checkpoint.lower() == 'none' else
                  args.pose2d_checkpoint)
    if checkpoint is None:
        print('warning: no 2D checkpoint: the 2D model runs at its initial '
              'weights', file=sys.stderr)
    if (args.det_config is None) != (args.det_checkpoint is None):
        return fail('--det-config and --det-checkpoint go together')
    try:
        chain = ImageTo3D(
            args.pose2d_config, checkpoint,
            lifter_config=args.lifter_config,
            lifter_checkpoint=args.lifter_checkpoint,
            det_config=args.det_config, det_checkpoint=args.det_checkpoint,
            det_cat_id=args.det_cat_id, bbox_thr=args.bbox_thr,
            nms_thr=args.nms_thr, device=args.device,
            cfg_options_2d=args.pose2d_cfg_options, **lifting_options(args))
    except (FileNotFoundError, ValueError) as error:
        # no checkpoint, not a top-down 2D model or a TIPSy lifter, a 2D
        # layout that cannot be converted: nothing can run (exit 2); any
        # other error is a bug (Python's traceback, exit 1)
        return fail(str(error))
    try:
        summary = run_image_to_3d(chain, args.input, args.out_dir,
                                  write_pictures=not args.no_pictures)
    except InputError as error:  # no input: each bad one is skipped inside
        return fail(str(error))
    return finish(summary, 'image to 3D')


if __name__ == '__main__':
    sys.exit(main())
