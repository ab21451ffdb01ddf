"""Score a checkpoint in seconds: tools/test.py's metrics from whole arrays.

    python tools/analysis/fast_eval.py CONFIG CHECKPOINT [--split test|val] [--out metrics.json]
        [--cfg-options test_dataloader.dataset.indices=1000]

--split test (default) scores the config's test set (S9/S11; S8 for the
configs/research/ ones); --split val scores S8, the validation protocol's
subject (projects/tipsy_gan/docs/protocol.md). The keys and values are those
of tools/test.py on the same checkpoint (within 0.01 mm, a test checks), plus
'seconds' on the console. Library: tipsy_gan.apis.fast_eval.
"""
import argparse
import json
import os

from mmengine.config import DictAction

from tipsy_gan.apis.fast_eval import SPLITS, timed_fast_evaluate
from tipsy_gan.utils.atomic_write import atomic_output_path


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint', help="checkpoint file, or 'none'")
    parser.add_argument('--split', choices=SPLITS, default='test')
    parser.add_argument('--out', help='write the metrics to this json file')
    parser.add_argument('--batch-size', type=int, default=16384)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    return parser.parse_args()


def main():
    args = parse_args()
    if args.checkpoint.lower() != 'none' and not os.path.isfile(
            args.checkpoint):
        raise SystemExit(f'checkpoint not found: {args.checkpoint}')
    metrics, seconds = timed_fast_evaluate(
        args.config, args.checkpoint, split=args.split,
        cfg_options=args.cfg_options, batch_size=args.batch_size)
    for key in metrics:
        if '_' not in key:
            print(f'{key}: {metrics[key]:.4f}')
    print(f'seconds: {seconds:.2f} ({args.split} split)')
    if args.out:
        with atomic_output_path(args.out) as tmp_path:
            with open(tmp_path, 'w') as f:
                json.dump(metrics, f, indent=2)


if __name__ == '__main__':
    main()
