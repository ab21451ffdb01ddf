"""One-minute checks on the GPU machine before the paper-scale run.

    python3 tools/gpu/smoke.py --config configs/tipsy_h36m.py \\
        --data data/gpu/h36m_fps10_train_2d.npz --out-dir $OUT [--compile]

Imports only torch, NumPy, mmengine (for the config) and ``tipsy_gan``
(core + standalone). Checks, and
writes to ``OUT/smoke.json``:

1. the environment: Python, torch, CUDA, the device's name;
2. the pose file: its checksum, its size, the time to put it on the device;
3. training steps at the recipe's full size (width 1024, batch 8192) as the
   full run takes them (bf16 autocast, fused Adam): a few adversarial and
   distillation steps, timed, with the FLOPs per step, steps/s, the share of
   the bf16 peak and the peak memory; with ``--compile`` the same steps
   after ``torch.compile`` (its compile time too, or the error);
4. the demos' lifting path (normalise -> student -> decode, core functions
   only: ``tipsy_gan.standalone.lifting``) with the published student, on
   the device against the CPU.

Exit status 1 when a check fails (bad pose file, non-finite losses, the
device's lifting not matching the CPU's).
"""
import time

CLOCK_START = time.monotonic()

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import traceback  # noqa: E402
from pathlib import Path  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
try:
    import tipsy_gan  # noqa: F401
except ImportError:
    sys.path.insert(0, str(REPO_ROOT / 'projects' / 'tipsy_gan'))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from tipsy_gan.standalone.data import (load_pose_file,  # noqa: E402
                                       poses_to_device)
from tipsy_gan.standalone.lifting import (lift_h36m,  # noqa: E402
                                          load_exported_student)
from tipsy_gan.standalone.recipe import load_recipe  # noqa: E402
from tipsy_gan.paths import PUBLISHED_STUDENT  # noqa: E402
from tipsy_gan.standalone.trainer import Options, Trainer  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', required=True,
                        help="a TIPSy config (tools/train.py's)")
    parser.add_argument('--data', required=True)
    parser.add_argument('--out-dir', required=True)
    parser.add_argument('--device', default='cuda')
    parser.add_argument('--width', type=int, default=None)
    parser.add_argument('--batch-size', type=int, default=None)
    parser.add_argument('--steps', type=int, default=10,
                        help='timed steps per variant (after 2 warm-ups)')
    parser.add_argument('--compile', action='store_true')
    parser.add_argument('--peak-flops', type=float, default=790e12)
    parser.add_argument('--student', default=str(PUBLISHED_STUDENT))
    parser.add_argument('--lift-poses', type=int, default=4096)
    parser.add_argument('--lift-tolerance', type=float, default=1e-4,
                        help='max |device - CPU| over the 3D, in units of '
                        "each pose's 2D scale")
    return parser.parse_args(argv)


def sync(device):
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def environment(device):
    env = dict(python=platform.python_version(),
               torch=str(torch.__version__), numpy=np.__version__,
               cuda_available=torch.cuda.is_available(),
               cuda=torch.version.cuda, threads=torch.get_num_threads())
    if device.type == 'cuda':
        if not torch.cuda.is_available():
            raise SystemExit('CUDA was asked for but torch sees no GPU')
        props = torch.cuda.get_device_properties(device)
        env.update(device_name=props.name,
                   capability=f'{props.major}.{props.minor}',
                   memory_gib=round(props.total_memory / 2**30, 1),
                   multiprocessors=props.multi_processor_count)
    else:
        env['device_name'] = 'cpu'
    return env


def time_steps(trainer, step, batch, steps, warmup=2):
    """(first-call seconds, seconds per step, last outputs)."""
    device = trainer.device
    sync(device)
    start = time.monotonic()
    out = step(batch)
    sync(device)
    first = time.monotonic() - start
    for _ in range(warmup - 1):
        out = step(batch)
    sync(device)
    start = time.monotonic()
    for _ in range(steps):
        out = step(batch)
    sync(device)
    return first, (time.monotonic() - start) / steps, out


def step_checks(trainer, batch, steps, label, peak):
    results = {}
    for stage, step in (('adversarial', trainer.adversarial_step),
                        ('distillation', trainer.distillation_step)):
        if stage == 'distillation' and trainer.student is None:
            continue
        first, per_step, out = time_steps(trainer, step, batch, steps)
        losses = {k: float(v) for k, v in out.items()}
        flops = trainer.flops.get(stage, 0.0)
        results[stage] = dict(
            first_call_s=round(first, 3), ms_per_step=round(1e3 * per_step, 3),
            steps_per_s=round(1 / per_step, 2),
            tflops_per_s=round(flops / per_step / 1e12, 1),
            peak_share=round(flops / per_step / peak, 4),
            losses_finite=all(np.isfinite(v) for v in losses.values()),
            losses=losses)
        print(f'[{label}] {stage}: first call {first:.2f} s, '
              f'{1e3 * per_step:.2f} ms/step ({1 / per_step:.1f} steps/s, '
              f'{100 * flops / per_step / peak:.1f}% of the bf16 peak)',
              flush=True)
    return results


def lifting_check(student_path, pose_file, device, count, tolerance):
    """The published student lifting pixel poses made from the pose file,
    on ``device`` against the CPU (float32, TF32 off)."""
    student = load_exported_student(student_path)
    normalised = torch.from_numpy(
        np.asarray(pose_file.poses[:count], dtype=np.float32))
    root = torch.zeros(normalised.shape[0], 1, 2)
    pixels = torch.cat([root, normalised], dim=1) * 200.0 + torch.tensor(
        [500.0, 400.0])
    start = time.monotonic()
    on_cpu = lift_h36m(student, pixels)
    cpu_s = time.monotonic() - start
    saved = (torch.backends.cuda.matmul.allow_tf32,
             torch.backends.cudnn.allow_tf32)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    try:
        student_dev = student.to(device)
        lift_h36m(student_dev, pixels.to(device))  # warm-up
        sync(device)
        start = time.monotonic()
        on_device = lift_h36m(student_dev, pixels.to(device)).cpu()
        device_s = time.monotonic() - start
    finally:
        (torch.backends.cuda.matmul.allow_tf32,
         torch.backends.cudnn.allow_tf32) = saved
    scale = 200.0  # every pose's 2D scale is 200 px (max-normalised input)
    error = float((on_device - on_cpu).abs().max()) / scale
    # the root stays at the origin and x, y come back as the 2D input
    xy_error = float((on_cpu[:, :, :2] - (pixels - pixels[:, :1])).abs().max())
    ok = bool(torch.isfinite(on_device).all()) and error <= tolerance and \
        xy_error <= 1e-3
    print(f'[lifting] {count} poses: device vs CPU max |diff| {error:.2e} '
          f'(pose-scale units, tolerance {tolerance:g}); x, y kept to '
          f'{xy_error:.1e} px; CPU {cpu_s * 1e3:.1f} ms, {device.type} '
          f'{device_s * 1e3:.1f} ms', flush=True)
    return dict(poses=count, max_abs_diff_scaled=error, xy_error_px=xy_error,
                tolerance=tolerance, cpu_ms=round(cpu_s * 1e3, 2),
                device_ms=round(device_s * 1e3, 2), ok=ok)


def main(argv=None):
    args = parse_args(argv)
    device = torch.device(args.device)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = dict(ok=False)
    failures = []
    try:
        report['environment'] = environment(device)
        print(f'[environment] {report["environment"]}', flush=True)

        start = time.monotonic()
        pose_file = load_pose_file(args.data)
        load_s = time.monotonic() - start
        poses = poses_to_device(pose_file, device)
        sync(device)
        report['data'] = dict(path=args.data, num_poses=len(pose_file),
                              dtype=str(pose_file.poses.dtype),
                              poses_sha256=pose_file.header['poses_sha256'],
                              subjects=pose_file.header['subjects'],
                              checked_s=round(load_s, 3),
                              to_device_s=round(time.monotonic() - start -
                                                load_s, 3))
        print(f'[data] {pose_file.describe()}: checksum ok', flush=True)

        recipe = load_recipe(args.config)
        if args.width is not None:
            recipe = recipe.with_width(args.width)
        if args.batch_size is not None:
            recipe.batch_size = args.batch_size
        trainer = Trainer(recipe, poses, Options(device=args.device,
                                                 peak_flops=args.peak_flops))
        trainer.nets.train()
        flops = trainer.count_flops()
        batch = next(trainer.epoch_batches(0))
        report['step'] = dict(width=recipe.model['lifter'].get('width'),
                              batch_size=recipe.batch_size,
                              network_dtype=trainer.config.network_dtype,
                              fused_adam=trainer.fused_adam,
                              flops_per_step=flops)
        report['step']['eager'] = step_checks(trainer, batch, args.steps,
                                              'eager', args.peak_flops)
        if args.compile:
            try:
                start = time.monotonic()
                trainer.compile()
                report['step']['compiled'] = step_checks(
                    trainer, batch, args.steps, 'compiled', args.peak_flops)
                report['step']['compiled']['wall_s'] = round(
                    time.monotonic() - start, 1)
            except Exception as error:  # noqa: BLE001 - report it, go on
                report['step']['compiled'] = dict(
                    error=f'{type(error).__name__}: {error}',
                    traceback=traceback.format_exc()[-3000:])
                print(f'[compiled] failed: {type(error).__name__}: {error}',
                      flush=True)
        if device.type == 'cuda':
            report['step']['max_memory_gib'] = round(
                torch.cuda.max_memory_allocated(device) / 2**30, 2)
        for variant in ('eager', 'compiled'):
            for stage, result in report['step'].get(variant, {}).items():
                if isinstance(result, dict) and not result.get(
                        'losses_finite', True):
                    failures.append(f'{variant} {stage}: non-finite losses')

        report['lifting'] = lifting_check(args.student, pose_file, device,
                                          min(args.lift_poses,
                                              len(pose_file)),
                                          args.lift_tolerance)
        if not report['lifting']['ok']:
            failures.append('lifting: the device does not match the CPU')
    except SystemExit:
        raise
    except Exception as error:  # noqa: BLE001 - the report says what broke
        failures.append(f'{type(error).__name__}: {error}')
        report['traceback'] = traceback.format_exc()[-4000:]
        print(report['traceback'], file=sys.stderr)
    report['failures'] = failures
    report['ok'] = not failures
    report['wall_s'] = round(time.monotonic() - CLOCK_START, 2)
    (out_dir / 'smoke.json').write_text(json.dumps(report, indent=1))
    print(f'[smoke] {"ok" if report["ok"] else "FAILED: " + "; ".join(failures)}'
          f' ({report["wall_s"]} s); report in {out_dir / "smoke.json"}',
          flush=True)
    return 0 if report['ok'] else 1


if __name__ == '__main__':
    sys.exit(main())
