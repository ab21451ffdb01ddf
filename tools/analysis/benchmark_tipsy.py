"""Benchmark TIPSy-GAN's adversarial step and the student's inference.

Prints measured figures; it is not a test. Plain PyTorch and
``tipsy_gan.core`` only, so it runs on a machine with torch but without
mmcv/mmpose (put ``projects/tipsy_gan`` on ``PYTHONPATH`` or install it; the
script adds it itself when run from a checkout).

    python tools/analysis/benchmark_tipsy.py --device cpu --threads 1 \
        --width 256 --batch-size 256 --iters 30
    python tools/analysis/benchmark_tipsy.py --device cuda \
        --width 1024 --batch-size 8192 --iters 50 \
        --data data/h36m/annotation_body3d/fps50/h36m_train.npz

What it prints, for ``batch_views=True`` and ``batch_views=False``:

1. Adversarial-training throughput: poses per second of ``train_one_step``
   (one D update, one G update), steady state: ``--warmup`` iterations are
   run first and not timed. On CUDA the clock is read after
   ``torch.cuda.synchronize()``.
2. A per-phase profile of one training step (mean over ``--profile-iters``
   steps, manual timers with a synchronize at each phase boundary, so the
   phases add up to a little more than an unprofiled step):
   ``lift`` (G on the real 2D), ``views`` (rotate/project and the re-lift of
   the rotated view and the three 90° views), ``d_step`` (D forward on real
   and fake, backward, Adam), ``g_losses`` (the generator losses incl. the
   frozen D pass), ``g_backward`` and ``g_optim``.
   ``--torch-profiler`` adds torch.profiler's table of the top operators.
3. Inference throughput of a student ``ResidualLifter`` (the TIPSy generator,
   same width) in eval mode under ``torch.inference_mode``, at batch 1, 256
   and 8192.

Poses are synthetic, root-centred and max-normalised (random joint positions,
shape (N, 16, 2)) unless ``--data NPZ`` gives a converted Human3.6M file whose
``part`` key holds the pixel 2D; the values do not change the cost of the
step. Everything lives on the device before timing starts: batches are drawn
by indexing a device tensor with device-side random indices, so the timed
loop does no host-to-device copy.
"""
import argparse
import json
import os.path as osp
import sys
import time

import torch

try:
    import tipsy_gan  # noqa: F401
except ImportError:  # running from a checkout without installing the package
    sys.path.insert(
        0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..',
                    'projects', 'tipsy_gan'))

from tipsy_gan.core.adversarial_step import (  # noqa: E402
    AdversarialConfig, OptimizerStep, adversarial_train_step,
    discriminator_losses, generator_losses, lift_views)
from tipsy_gan.core.geometry import Orthographic, Perspective  # noqa: E402
from tipsy_gan.core.networks import (  # noqa: E402
    PartSplitLifter, PoseDiscriminator, ResidualLifter, SoloLifter)
from tipsy_gan.core.normalization import normalize_pose_2d  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    p.add_argument('--width', type=int, default=256)
    p.add_argument('--batch-size', type=int, default=256)
    p.add_argument('--iters', type=int, default=30,
                   help='timed training iterations per setting')
    p.add_argument('--warmup', type=int, default=5,
                   help='untimed iterations before timing')
    p.add_argument('--profile-iters', type=int, default=None,
                   help='steps averaged in the phase profile '
                   '(default: min(iters, 10))')
    p.add_argument('--threads', type=int, default=None,
                   help='torch.set_num_threads (default: torch\'s own)')
    p.add_argument('--model', default='parts', choices=['parts', 'solo'])
    p.add_argument('--projection', default='orthographic',
                   choices=['orthographic', 'perspective'])
    p.add_argument('--renormalize-views', action='store_true')
    p.add_argument('--adversarial', type=json.loads, default={},
                   help='more AdversarialConfig fields as JSON, e.g. the '
                   'model.adversarial of configs/tipsy_h36m_cpu.py')
    p.add_argument('--data', default=None,
                   help='NPZ with a "part" key (N, 17, 2|3) of pixel 2D')
    p.add_argument('--num-poses', type=int, default=65536,
                   help='synthetic pool size')
    p.add_argument('--inference-seconds', type=float, default=2.0,
                   help='time spent per inference batch size')
    p.add_argument('--skip-inference', action='store_true')
    p.add_argument('--torch-profiler', action='store_true')
    p.add_argument('--adam', default='default',
                   choices=['default', 'foreach', 'fused'],
                   help='Adam implementation (torch default: for-loop on '
                   'CPU, foreach on CUDA)')
    p.add_argument('--seed', type=int, default=0)
    return p.parse_args()


def train_one_step(lifter, disc, g_opt, d_opt, pose_2d, config, rng):
    """The repo's one adversarial step with torch optimisers."""
    return adversarial_train_step(lifter, disc, pose_2d, config,
                                  OptimizerStep(g_opt), OptimizerStep(d_opt),
                                  rng)


def sync(device):
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def load_poses(args, device):
    """(N, 16, 2) normalised non-root 2D poses on ``device``."""
    if args.data:
        import numpy as np
        part = np.load(args.data)['part'][..., :2].astype('float32')
        norm, _, _ = normalize_pose_2d(torch.from_numpy(part))
        source = f'{args.data} ({len(part)} poses)'
    else:
        g = torch.Generator().manual_seed(args.seed)
        raw = torch.randn(args.num_poses, 17, 2, generator=g)
        raw[:, 0] = 0.0
        norm, _, _ = normalize_pose_2d(raw)
        source = f'synthetic ({args.num_poses} poses)'
    return norm[:, 1:].contiguous().to(device), source


def build(args, device):
    lifter_cls = PartSplitLifter if args.model == 'parts' else SoloLifter
    lifter = lifter_cls(args.width).to(device)
    disc = PoseDiscriminator(width=args.width).to(device)
    impl = {} if args.adam == 'default' else {args.adam: True}
    g_opt = torch.optim.Adam(lifter.parameters(), lr=2e-4, **impl)
    d_opt = torch.optim.Adam(disc.parameters(), lr=2e-4, **impl)
    return lifter, disc, g_opt, d_opt


class Batches:
    """Random minibatches drawn on the device (no host-device copies)."""

    def __init__(self, poses, batch_size, device, seed):
        self.poses = poses
        self.batch_size = batch_size
        self.rng = torch.Generator(device=device).manual_seed(seed)

    def __call__(self):
        idx = torch.randint(0, len(self.poses), (self.batch_size, ),
                            generator=self.rng, device=self.poses.device)
        return self.poses[idx]


class TimedLifter(torch.nn.Module):
    """Wraps a lifter; records the duration of every forward call."""

    def __init__(self, lifter, device):
        super().__init__()
        self.inner = lifter
        self.parts = lifter.parts
        self.device = device
        self.calls = []

    def forward(self, x):
        sync(self.device)
        t0 = time.perf_counter()
        out = self.inner(x)
        sync(self.device)
        self.calls.append(time.perf_counter() - t0)
        return out


PHASES = ('lift', 'views', 'd_step', 'g_losses', 'g_backward', 'g_optim')


def profile_step(lifter, disc, g_opt, d_opt, pose_2d, config, rng, device):
    """One train_one_step (generator_steps=1), split into timed phases."""
    timed = TimedLifter(lifter, device)
    times = {}
    sync(device)
    t0 = time.perf_counter()
    views = lift_views(timed, pose_2d, config, rng)
    sync(device)
    t1 = time.perf_counter()
    times['lift'] = timed.calls[0]
    times['views'] = (t1 - t0) - timed.calls[0]
    d_out = discriminator_losses(disc, pose_2d, views.fake_2d,
                                 config.gan_loss, rng)
    d_opt.zero_grad(set_to_none=True)
    d_out['loss'].backward()
    d_opt.step()
    sync(device)
    t2 = time.perf_counter()
    times['d_step'] = t2 - t1
    g_out = generator_losses(lifter.parts, disc, views, config)
    sync(device)
    t3 = time.perf_counter()
    times['g_losses'] = t3 - t2
    g_opt.zero_grad(set_to_none=True)
    g_out['loss'].backward()
    sync(device)
    t4 = time.perf_counter()
    times['g_backward'] = t4 - t3
    g_opt.step()
    sync(device)
    times['g_optim'] = time.perf_counter() - t4
    return times


def training_throughput(args, device, poses, config):
    """Steady-state poses/s of train_one_step, then the phase profile on the
    same (already warm) networks."""
    lifter, disc, g_opt, d_opt = build(args, device)
    batches = Batches(poses, args.batch_size, device, args.seed)
    rng = torch.Generator(device=device).manual_seed(args.seed)
    for _ in range(args.warmup):
        train_one_step(lifter, disc, g_opt, d_opt, batches(), config, rng)
    sync(device)
    start = time.perf_counter()
    for _ in range(args.iters):
        logs = train_one_step(lifter, disc, g_opt, d_opt, batches(), config,
                              rng)
    sync(device)
    elapsed = time.perf_counter() - start
    if not all(bool(torch.isfinite(v).all()) for v in logs.values()):
        print('warning: non-finite loss during the benchmark')
    n = args.profile_iters or min(args.iters, 10)
    total = dict.fromkeys(PHASES, 0.0)
    for _ in range(n):
        for k, v in profile_step(lifter, disc, g_opt, d_opt, batches(),
                                 config, rng, device).items():
            total[k] += v
    profile = {k: v / n for k, v in total.items()}
    return args.iters * args.batch_size / elapsed, elapsed / args.iters, \
        profile


def torch_profiler_table(args, device, poses, config):
    from torch.profiler import ProfilerActivity, profile
    lifter, disc, g_opt, d_opt = build(args, device)
    batches = Batches(poses, args.batch_size, device, args.seed)
    rng = torch.Generator(device=device).manual_seed(args.seed)
    for _ in range(2):
        train_one_step(lifter, disc, g_opt, d_opt, batches(), config, rng)
    activities = [ProfilerActivity.CPU]
    if device.type == 'cuda':
        activities.append(ProfilerActivity.CUDA)
    with profile(activities=activities) as prof:
        for _ in range(3):
            train_one_step(lifter, disc, g_opt, d_opt, batches(), config, rng)
        sync(device)
    key = ('self_cuda_time_total'
           if device.type == 'cuda' else 'self_cpu_time_total')
    return prof.key_averages().table(sort_by=key, row_limit=15)


@torch.inference_mode()
def inference_throughput(args, device, poses):
    student = ResidualLifter(width=args.width).to(device).eval()
    results = {}
    for batch in (1, 256, 8192):
        reps = max(1, -(-batch // len(poses)))
        x = poses.repeat(reps, 1, 1)[:batch]
        for _ in range(3):
            student(x)
        sync(device)
        n, start = 0, time.perf_counter()
        while True:
            student(x)
            n += 1
            if n % 5 == 0:
                sync(device)
                if time.perf_counter() - start >= args.inference_seconds:
                    break
        sync(device)
        elapsed = time.perf_counter() - start
        results[batch] = (n * batch / elapsed, elapsed / n)
    return results


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if device.type == 'cuda' and not torch.cuda.is_available():
        sys.exit('--device cuda given but CUDA is not available')
    torch.manual_seed(args.seed)
    poses, source = load_poses(args, device)
    name = (torch.cuda.get_device_name(device)
            if device.type == 'cuda' else f'cpu, {torch.get_num_threads()} '
            'thread(s)')
    print(f'device: {name}; torch {torch.__version__}')
    options = dict(renormalize_views=args.renormalize_views)
    options.update(args.adversarial)  # --adversarial has the last word
    print(f'model: {args.model}, width {args.width}, batch {args.batch_size}, '
          f'Adam {args.adam}; AdversarialConfig options {options}; poses: '
          f'{source}')
    print(f'timing: {args.warmup} warm-up + {args.iters} timed iterations')

    profiles = {}
    for batch_views in (True, False):
        config = AdversarialConfig(
            **options, batch_views=batch_views,
            projection=(Perspective() if args.projection == 'perspective'
                        else Orthographic()))
        poses_per_s, step_s, profiles[batch_views] = training_throughput(
            args, device, poses, config)
        print(f'\n[batch_views={batch_views}] adversarial training: '
              f'{poses_per_s:,.0f} poses/s ({step_s * 1e3:.1f} ms/iteration)')
        if args.torch_profiler:
            print(torch_profiler_table(args, device, poses, config))

    print('\nper-phase profile of one step (ms; synchronised timers):')
    print(f'{"phase":<12}{"batch_views=True":>18}{"batch_views=False":>19}')
    for phase in PHASES + ('total', ):
        vals = [(sum(p.values()) if phase == 'total' else p[phase]) * 1e3
                for p in (profiles[True], profiles[False])]
        print(f'{phase:<12}{vals[0]:>18.2f}{vals[1]:>19.2f}')

    if not args.skip_inference:
        print(f'\nstudent ResidualLifter inference (width {args.width}, eval, '
              'inference_mode):')
        for batch, (pps, s) in inference_throughput(args, device,
                                                    poses).items():
            print(f'  batch {batch:>5}: {pps:>14,.0f} poses/s '
                  f'({s * 1e3:.3f} ms/batch)')


if __name__ == '__main__':
    main()
