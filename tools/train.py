"""Train a model from a config, as MMPose's tools/train.py does.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--cfg-options k=v ...]

Our modules register themselves when ``tipsy_gan.mmpose_modules`` is imported; configs also
name it in ``custom_imports`` so that mmengine's own launchers find them.
"""
import argparse
import os.path as osp

from mmengine.runner import Runner

import tipsy_gan.mmpose_modules  # noqa: F401  registers models, codecs, metrics, hooks
from tipsy_gan.engine.distributed import (finish_process_group,
                                          init_process_group_without_cuda)
from tipsy_gan.utils.data_paths import resolve_data_roots
from tipsy_gan.utils.tool_args import (add_runner_args, apply_runner_args,
                                       load_config, parse_runner_args)


def parse_args():
    parser = argparse.ArgumentParser(description='Train a pose model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from this checkpoint, or, with no value, from the latest '
        'checkpoint in the work directory')
    parser.add_argument('--amp', action='store_true', help='mixed precision')
    parser.add_argument(
        '--no-validate', action='store_true',
        help='do not evaluate checkpoints during training')
    add_runner_args(parser)
    return parse_runner_args(parser)


def merge_args(cfg, args):
    """Merge CLI arguments into the config, with MMPose's precedence rules."""
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None
    apply_runner_args(cfg, args)
    if args.amp:
        if 'constructor' in cfg.optim_wrapper:
            raise ValueError('--amp supports a single OptimWrapper; this config builds '
                             f'several with {cfg.optim_wrapper.constructor}')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        if not osp.isfile(args.resume):
            raise FileNotFoundError(f'--resume checkpoint not found: {args.resume}')
        cfg.resume = True
        cfg.load_from = args.resume
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def main():
    args = parse_args()
    cfg = resolve_data_roots(merge_args(load_config(args.config), args))
    init_process_group_without_cuda(cfg)  # CPU-only distributed runs use gloo
    runner = Runner.from_cfg(cfg)
    runner.train()
    finish_process_group()


if __name__ == '__main__':
    main()
