"""Lift 2D keypoints that MMPose already saved to 3D with TIPSy (no 2D model).

    python demo/lift_2d_json.py KEYPOINTS.json [MORE.json | FOLDER ...] \
        [--layout auto|coco|h36m] [--image-dir DIR] [--out-dir outputs/demo] \
        [--no-pictures] [--max-people-3d 10]

Reads MMPose's prediction JSON (what MMPoseInferencer writes with
pred_out_dir: per image a list of {keypoints, keypoint_scores, bbox, ...};
per video a list of {frame_id, instances}) or a COCO-style annotation file
(such as the Human3.6M fixture's h36m_coco.json). Writes a picture per frame
(drawn on the frame's image when --image-dir has it, else on a blank canvas
that holds the keypoints drawn, at most 4096 pixels a side; --no-pictures:
none) and NAME.json per input into --out-dir. A file of several frames shows
a progress bar on stderr. A frame with nobody is written as such; a person
with a NaN or infinite keypoint is reported, and not lifted if a lifted joint
is made from it.

    python demo/lift_2d_json.py --coco-to-predictions h36m_coco.json \
        --out-dir D

instead writes one MMPose prediction JSON per image of the annotation file
into D (the fixture's ground-truth 2D in MMPose's output format).

Exit status: 0 every input done; 3 finished, but some inputs were skipped or
some people had NaN or infinite keypoints (each reported); 2 nothing could run
(a usage error, no usable input, an unusable lifter); 1 an unexpected error
(Python's traceback).
"""
import argparse
import sys

import torch

from tipsy_gan.apis.chain import PoseLifting, coco_metainfo
from tipsy_gan.apis.demo_args import (EXIT_STATUS_HELP, add_lifting_args,
                                      fail, finish, lifting_options)
from tipsy_gan.apis.demo_io import InputError
from tipsy_gan.apis.keypoint_conversion import COCO
from tipsy_gan.apis.keypoints_json import (LAYOUTS,
                                           coco_annotations_to_predictions,
                                           run_lift_2d_json)
from tipsy_gan.apis.lifting import load_pose_lifter


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                     epilog=EXIT_STATUS_HELP)
    parser.add_argument('inputs', nargs='+',
                        help='keypoint JSON files or folders of them')
    parser.add_argument('--layout', choices=LAYOUTS, default='auto',
                        help="the saved keypoints' layout (auto: from a COCO "
                        "file's keypoint names; COCO-17 for MMPose "
                        'prediction JSON, which has no names)')
    parser.add_argument('--image-dir',
                        help='where to find the frames\' images (searched '
                        'at any depth by file name)')
    parser.add_argument('--coco-to-predictions', action='store_true',
                        help='only convert a COCO annotation file into MMPose '
                        'prediction JSON files in --out-dir')
    add_lifting_args(parser)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(1)  # a few small poses: threads only add overhead
    # only these errors mean "nothing could run" (exit 2); any other is a
    # bug, and Python's traceback and exit 1 say so
    try:
        if args.coco_to_predictions:
            for source in args.inputs:
                for path in coco_annotations_to_predictions(source,
                                                            args.out_dir):
                    print(f'wrote {path}')
            return 0
        # FileNotFoundError: no checkpoint; ValueError: not a TIPSy config
        lifter = load_pose_lifter(args.lifter_config, args.lifter_checkpoint,
                             args.device)
    except (InputError, FileNotFoundError, ValueError) as error:
        return fail(str(error))
    liftings = {}

    def lifting_for(layout):
        if layout not in liftings:
            meta_2d = coco_metainfo() if layout == COCO else \
                lifter.dataset_meta
            liftings[layout] = PoseLifting(lifter, layout, meta_2d,
                                           **lifting_options(args))
        return liftings[layout]

    # each bad input is reported and skipped inside
    summary = run_lift_2d_json(lifting_for, args.inputs, args.out_dir,
                               args.layout, args.image_dir,
                               write_pictures=not args.no_pictures)
    return finish(summary, 'lifting only')


if __name__ == '__main__':
    sys.exit(main())
