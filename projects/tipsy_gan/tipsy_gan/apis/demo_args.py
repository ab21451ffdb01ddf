"""Command-line options shared by demo/image_to_3d.py and lift_2d_json.py."""
import argparse
import sys

from ..paths import DEFAULT_LIFTER_CONFIG, PUBLISHED_STUDENT

# Exit statuses: every input done; finished, but some input, person or
# keypoint skipped (each reported); nothing could run (argparse's usage
# errors, no usable input, unusable model or keypoint layout). An unexpected
# error is Python's: a traceback and 1.
EXIT_OK, EXIT_NOTHING_RUN, EXIT_SOME_SKIPPED = 0, 2, 3
EXIT_STATUS_HELP = (
    'exit status: 0 every input done; 3 finished, but some inputs were '
    'skipped or some people had NaN or infinite keypoints (each reported; '
    'people left out by --min-keypoint-score are reported only); 2 nothing '
    'could run (a usage error, no usable input, an unusable model); 1 an '
    "unexpected error (Python's traceback)")


def score_threshold(text: str):
    """A float, or 'none' for no threshold."""
    return None if text.lower() == 'none' else float(text)


def add_lifting_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--out-dir', default='outputs/demo',
                        help='where pictures, videos and JSON go')
    parser.add_argument('--lifter-config', default=str(DEFAULT_LIFTER_CONFIG),
                        help='TIPSy PoseLifter config')
    parser.add_argument('--lifter-checkpoint', default=str(PUBLISHED_STUDENT),
                        help='TIPSy PoseLifter checkpoint (default: the '
                        'published CPU-scale student)')
    parser.add_argument(
        '--min-keypoint-score', type=score_threshold, default=0.3,
        help="a person is lifted only if all 17 converted joints score at "
        "least this (a derived joint scores its sources' minimum); "
        "otherwise it is skipped with a message. 'none': lift everyone")
    parser.add_argument('--kpt-thr', type=float, default=0.3,
                        help='2D keypoints scoring below it are not drawn')
    parser.add_argument('--num-instances', type=int, default=-1,
                        help='3D plots per picture (-1: one per person; for '
                        "a video, the first frame's number of people)")
    parser.add_argument('--max-people-3d', type=int, default=10,
                        help='at most this many people drawn in 3D per '
                        'picture (the rest are counted in a message; the '
                        'JSON has everyone)')
    parser.add_argument('--no-pictures', action='store_true',
                        help='write the JSON only: no pictures or videos')
    parser.add_argument('--radius', type=int, default=3,
                        help='2D keypoint radius in the picture')
    parser.add_argument('--thickness', type=int, default=1,
                        help='2D link thickness in the picture')
    parser.add_argument('--device', default='cpu',
                        help="'cpu', 'cuda' or 'cuda:N'")


def lifting_options(args) -> dict:
    return dict(min_keypoint_score=args.min_keypoint_score,
                kpt_thr=args.kpt_thr, num_instances=args.num_instances,
                max_people_3d=args.max_people_3d,
                radius=args.radius, thickness=args.thickness)


def finish(summary, what: str) -> int:
    """Print the outputs and the frame rate; the exit status."""
    for output in summary.outputs:
        pictures = [str(p) for p in output.picture_paths]
        if len(pictures) > 2:  # a picture per frame: not thousands of names
            pictures = [f'{len(pictures)} pictures {pictures[0]} ... '
                        f'{pictures[-1]}']
        print(f'{output.source} -> '
              f'{", ".join(pictures + [str(output.json_path)])}')
    print(summary.fps_line(what))
    if summary.people_skipped:
        print(f'{summary.people_skipped} person(s) with NaN or infinite '
              'keypoints (each reported above)', file=sys.stderr)
    if summary.failures:
        print(f'{len(summary.failures)} input(s) skipped:', file=sys.stderr)
        for source, reason in summary.failures:
            print(f'  {source}: {reason}', file=sys.stderr)
    if not summary.outputs:
        return EXIT_NOTHING_RUN
    if summary.failures or summary.people_skipped:
        return EXIT_SOME_SKIPPED
    return EXIT_OK


def fail(message: str) -> int:
    print(f'error: {message}', file=sys.stderr)
    return EXIT_NOTHING_RUN
