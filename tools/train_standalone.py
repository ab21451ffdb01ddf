"""Train TIPSy-GAN from a config file on a machine without mmcv or MMPose.

    python tools/train_standalone.py configs/tipsy_h36m.py \\
        --data data/gpu/h36m_fps10_train_2d.npz --device cuda \\
        --max-minutes 8.5 --out-dir OUT
    python tools/train_standalone.py configs/tipsy_h36m_cpu_hands.py \\
        --data data/gpu/h36m_fps10_train_2d.npz \\
        --heldout data/gpu/h36m_fps10_heldout_2d.npz --out-dir OUT

Reads the same config file as ``tools/train.py`` (with mmengine's
``Config``: mmengine is pure Python, and ``docs/gpu_run.md`` says how its
wheel travels), and imports torch, NumPy, mmengine and ``tipsy_gan``'s
``core``, ``research`` and ``standalone``; runs where the repository is
checked out, installed or not (Python >= 3.10). The step is ``core``'s:
``adversarial_train_step`` then ``distillation_train_step``, exactly as
``tools/train.py`` runs them, with the config's learning-rate schedules,
weight average and label-free stopping rule (``TIPSyCurveHook``, whose
held-out 2D ``--heldout`` gives); on the CPU it gives the same losses,
weights, curve and picked lifter as ``tools/train.py`` on the same config
(``tests/standalone``). See ``tipsy_gan/standalone/trainer.py`` and
``projects/tipsy_gan/docs/gpu_run.md``.

Outputs in ``--out-dir``: ``train_log.jsonl`` (plan, losses every
``--log-every`` steps with steps/s and the share of the bf16 peak, the
summary), ``epoch_<E>.pth`` (an mmengine-style TIPSyGAN checkpoint that
``tools/test.py`` and ``tools/export_student.py`` read; ``--no-checkpoint``
skips it), with a curve hook ``curve.csv``, ``curve_snapshots/`` and
``picked_lifter.pth``, and the return form ``tipsy_return.manifest.json`` +
``tipsy_return.NNN.part`` (teacher + student in float16, shards of at most
15 MiB; ``tools/gpu/assemble_checkpoint.py`` rebuilds a checkpoint).
Exit status: 0, 1 (a config this trainer refuses, named), 2 (non-finite
loss or weights), 3 (outputs written but fewer adversarial epochs than
``--min-adversarial-epochs``).
"""
import time

CLOCK_START = time.monotonic()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
try:
    import tipsy_gan  # noqa: F401
except ImportError:  # not installed (e.g. the GPU machine): the checkout
    sys.path.insert(0, str(REPO_ROOT / 'projects' / 'tipsy_gan'))

import torch  # noqa: E402
from mmengine.config import DictAction  # noqa: E402

from tipsy_gan.standalone import checkpoint as ckpt  # noqa: E402
from tipsy_gan.standalone.data import (load_pose_file,  # noqa: E402
                                       poses_to_device)
from tipsy_gan.standalone.recipe import (RecipeError,  # noqa: E402
                                         load_recipe, summary)
from tipsy_gan.standalone.trainer import (NonFiniteLossError,  # noqa: E402
                                          Options, Trainer, jsonl_emitter)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help="a TIPSy config (tools/train.py's)")
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        metavar='KEY=VALUE',
                        help="override config settings, as tools/train.py's")
    parser.add_argument('--data', required=True,
                        help='pose file from tools/gpu/prepare_data.py')
    parser.add_argument('--heldout', default=None,
                        help='the curve hook\'s held-out 2D, from '
                        'tools/gpu/prepare_data.py --heldout (configs with '
                        'a TIPSyCurveHook)')
    parser.add_argument('--out-dir', required=True)
    parser.add_argument('--device', default='cuda' if
                        torch.cuda.is_available() else 'cpu')
    parser.add_argument('--network-dtype', default='auto',
                        help="'auto' (bfloat16 on CUDA, the recipe's on CPU),"
                        " 'recipe', 'none', 'bfloat16' or 'float16'")
    parser.add_argument('--fused-adam', default='auto',
                        choices=['auto', 'on', 'off'])
    parser.add_argument('--compile', action='store_true',
                        help='torch.compile the networks')
    parser.add_argument('--compile-mode', default=None)
    parser.add_argument('--log-every', type=int, default=50)
    parser.add_argument('--max-minutes', type=float, default=None,
                        help='time budget from the start of this program: '
                        'as many adversarial epochs as fit, then the '
                        'distillation, then the outputs')
    parser.add_argument('--reserve-seconds', type=float, default=30.0,
                        help='kept free for writing outputs (budget mode)')
    parser.add_argument('--probe-steps', type=int, default=20,
                        help='budget mode: adversarial steps timed (after 3) '
                        'to plan the stage')
    parser.add_argument('--adversarial-epochs', type=int, default=None,
                        help="the recipe's by default; a cap with "
                        '--max-minutes')
    parser.add_argument('--distillation-epochs', type=int, default=None)
    parser.add_argument('--adversarial-steps', type=int, default=None,
                        help='stop the adversarial stage after N steps')
    parser.add_argument('--distillation-steps', type=int, default=None)
    parser.add_argument('--min-adversarial-epochs', type=int, default=0)
    parser.add_argument('--width', type=int, default=None,
                        help='every network at this width (dry runs)')
    parser.add_argument('--batch-size', type=int, default=None)
    parser.add_argument('--peak-flops', type=float, default=790e12,
                        help='bf16 dense peak for the share printed (H200: '
                        '~790e12 measured on the lent machines, 989e12 on '
                        'the datasheet)')
    parser.add_argument('--no-flop-count', action='store_true')
    parser.add_argument('--no-checkpoint', action='store_true',
                        help='skip the full-precision training checkpoint')
    parser.add_argument('--no-return', action='store_true',
                        help='skip the teacher/student return shards')
    parser.add_argument('--return-dtype', default='float16',
                        choices=['float16', 'bfloat16'])
    parser.add_argument('--shard-mib', type=float, default=15.0)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    log_path = out_dir / 'train_log.jsonl'
    if log_path.exists():
        log_path.unlink()
    emit = jsonl_emitter(log_path)
    device = torch.device(args.device)

    try:
        recipe = load_recipe(args.config, args.cfg_options)
    except RecipeError as error:
        print(f'error: {args.config}: {error}', file=sys.stderr)
        return 1
    if args.width is not None:
        recipe = recipe.with_width(args.width)
    if args.batch_size is not None:
        recipe.batch_size = int(args.batch_size)
    emit(dict(event='environment', python=sys.version.split()[0],
              torch=torch.__version__, device=str(device),
              device_name=(torch.cuda.get_device_name(device)
                           if device.type == 'cuda' else 'cpu'),
              threads=torch.get_num_threads(), argv=sys.argv[1:]))
    for line in summary(recipe):
        print(f'[recipe] {line}', flush=True)

    start = time.monotonic()
    pose_file = load_pose_file(args.data)
    poses = poses_to_device(pose_file, device)
    emit(dict(event='data', path=args.data, num_poses=len(pose_file),
              dtype=str(pose_file.poses.dtype),
              poses_sha256=pose_file.header['poses_sha256'],
              subjects=pose_file.header['subjects'],
              source=pose_file.header['source'],
              seconds=round(time.monotonic() - start, 3)))

    if pose_file.header['source'] != recipe.data.get('ann_file'):
        note = (f'the pose file comes from {pose_file.header["source"]}, the '
                f'recipe names {recipe.data.get("ann_file")}: epochs are '
                'epochs of the pose file')
        print(f'[data] note: {note}', flush=True)
        emit(dict(event='note', message=note))

    heldout = None
    if args.heldout is not None:
        heldout = poses_to_device(load_pose_file(args.heldout), device)
    elif recipe.curve is not None:
        print(f'error: {args.config} has a TIPSyCurveHook: give its held-out '
              '2D with --heldout (tools/gpu/prepare_data.py --heldout)',
              file=sys.stderr)
        return 1

    options = Options(
        device=args.device, work_dir=str(out_dir),
        network_dtype=args.network_dtype,
        fused_adam=args.fused_adam, compile=args.compile,
        compile_mode=args.compile_mode, log_every=args.log_every,
        max_minutes=args.max_minutes, reserve_seconds=args.reserve_seconds,
        probe_steps=args.probe_steps,
        adversarial_epochs=args.adversarial_epochs,
        distillation_epochs=args.distillation_epochs,
        adversarial_steps=args.adversarial_steps,
        distillation_steps=args.distillation_steps,
        min_adversarial_epochs=args.min_adversarial_epochs,
        peak_flops=args.peak_flops, count_flops=not args.no_flop_count)
    trainer = Trainer(recipe, poses, options, emit, clock_start=CLOCK_START,
                      heldout=heldout)
    if options.count_flops:
        flops = trainer.count_flops()
        emit(dict(event='flops', per_step=flops,
                  peak_flops=options.peak_flops))
    if options.compile:
        trainer.compile()

    status = 0
    try:
        result = trainer.run()
    except NonFiniteLossError as error:
        emit(dict(event='error', message=str(error)))
        print(f'error: {error}', file=sys.stderr)
        return 2
    try:
        written = trainer.write_outputs(
            out_dir, result, full_checkpoint=not args.no_checkpoint,
            return_form=not args.no_return,
            return_dtype=getattr(torch, args.return_dtype),
            shard_bytes=int(args.shard_mib * ckpt.MIB),
            extra_meta=dict(data=dict(pose_file.header)))
    except NonFiniteLossError as error:
        emit(dict(event='error', message=str(error)))
        print(f'error: {error}', file=sys.stderr)
        return 2
    result['outputs'] = written
    result['wall_s'] = round(time.monotonic() - CLOCK_START, 3)
    if result.get('min_adversarial_epochs_reached') is False:
        status = 3
        result['status'] = (f'only {result["adversarial_epochs"]} adversarial'
                            f' epochs, fewer than the '
                            f'{args.min_adversarial_epochs} required')
    emit(dict(event='summary', **result))
    emit.close()
    if os.environ.get('TIPSY_PRINT_SUMMARY_JSON'):
        print(json.dumps(result))
    return status


if __name__ == '__main__':
    sys.exit(main())
