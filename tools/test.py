"""Evaluate a checkpoint on a config's test set, as MMPose's tools/test.py does.

    python tools/test.py CONFIG CHECKPOINT [--out metrics.json] [--work-dir DIR]
    bash tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCESSES [same options]

CHECKPOINT may be ``none`` for models that need no weights (the zero-depth and
oracle reference lifters).
"""
import argparse
import os.path as osp

import mmengine
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.runner import Runner

import tipsy_gan.mmpose_modules  # noqa: F401  registers models, codecs, metrics, hooks
from tipsy_gan.apis.loading import load_lifter
from tipsy_gan.engine.distributed import (finish_process_group,
                                          init_process_group_without_cuda)
from tipsy_gan.utils.data_paths import resolve_data_roots
from tipsy_gan.utils.tool_args import (add_runner_args, apply_runner_args,
                                       load_config, parse_runner_args)
from tipsy_gan.utils.atomic_write import atomic_output_path


def parse_args():
    parser = argparse.ArgumentParser(description='Evaluate a pose model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help="checkpoint file, or 'none'")
    parser.add_argument('--out', help='write the metrics to this json file')
    parser.add_argument(
        '--dump', help='dump predictions to this pickle file for offline evaluation')
    add_runner_args(parser)
    return parse_runner_args(parser)


def merge_args(cfg, args):
    """Merge CLI arguments into the config, with MMPose's precedence rules."""
    apply_runner_args(cfg, args)
    # the checkpoint goes through tipsy_gan.apis.load_lifter (main), not
    # through the runner's load_from
    cfg.load_from = None
    if args.checkpoint.lower() != 'none' and not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {args.checkpoint}')
    if args.dump is not None:
        if not args.dump.endswith(('.pkl', '.pickle')):
            raise ValueError(f'--dump must name a .pkl file, got {args.dump}')
        dump_metric = dict(type='DumpResults', out_file_path=args.dump)
        evaluators = cfg.test_evaluator
        if not isinstance(evaluators, (list, tuple)):
            evaluators = [evaluators]
        cfg.test_evaluator = [*evaluators, dump_metric]
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


class SaveMetricsHook(Hook):
    """Writes the test metrics to a json file, whole or not at all (rank 0
    only: every rank receives the same metrics)."""

    def __init__(self, out_file):
        self.out_file = out_file

    def after_test_epoch(self, runner, metrics=None):
        if metrics is not None and is_main_process():
            with atomic_output_path(self.out_file) as tmp_path:
                mmengine.dump(metrics, tmp_path, file_format='json', indent=2)


def main():
    args = parse_args()
    cfg = resolve_data_roots(merge_args(load_config(args.config), args))
    if cfg.launcher != 'none':  # no DDP: evaluation syncs no gradients
        cfg.model_wrapper_cfg = dict(type='TIPSyEvaluationWrapper')
    init_process_group_without_cuda(cfg)  # CPU-only distributed runs use gloo
    runner = Runner.from_cfg(cfg)
    # the one lifter loader: the checkpoint's kind checked against the
    # config, every file read with weights_only
    if args.checkpoint.lower() != 'none':
        loaded = load_lifter(cfg, args.checkpoint, model=runner.model)
        runner.logger.info(f'loaded {args.checkpoint}: {loaded.kind} '
                           f'checkpoint, {loaded.describe()}')
    if args.out:
        runner.register_hook(SaveMetricsHook(args.out), 'LOWEST')
    runner.test()
    finish_process_group()


if __name__ == '__main__':
    main()
