"""Benchmark TIPSy-GAN's adversarial step and the student's inference.

Prints measured figures; it is not a test. Plain PyTorch and
``tipsy_gan.core`` only, so it runs on a machine with torch but without
mmcv/mmpose (the script puts ``projects/tipsy_gan`` on the path itself).

    python tools/analysis/benchmark_tipsy.py --device cpu --threads 1 \\
        --width 256 --batch-size 256 --recipe cpu \\
        --train fp32 bf16 fused bf16+fused --inference-width 256 1024
    python tools/analysis/benchmark_tipsy.py --device cuda --width 1024 \\
        --batch-size 8192 --train fp32 bf16+fused

Settings are timed **interleaved** (A B C A B C ...): each round times
``--steps`` steps of every setting in turn, so a machine that slows down or
speeds up during the run affects every setting alike. Per setting it prints
the median over ``--rounds`` rounds and the spread (min-max), and the
speed-up against the first setting as the median of the per-round ratios.

Training settings (joined with '+'): ``fp32`` (the baseline), ``bf16``
(``AdversarialConfig.network_dtype='bfloat16'``: the networks under
autocast; geometry, losses and Adam's state in fp32), ``fused`` (fused
Adam), ``foreach`` (foreach Adam), ``compile`` (``torch.compile`` of the
networks), ``layernorm`` / ``batchnorm`` / ``nonorm`` (the lifter's
``norm``; the default is the recipe's: LayerNorm for ``--recipe cpu``,
BatchNorm for ``paper``), ``alljvp`` (eq. 15's all-angle term,
``consistency_terms.AllAngleConsistency``: one extra forward-mode pass).
The cost of the term, interleaved in one run:

    python tools/analysis/benchmark_tipsy.py --threads 1 --width 256 \
        --batch-size 256 --train layernorm layernorm+alljvp fp32 alljvp

``--profile`` replaces the timing rounds with ``torch.profiler`` over
``--steps`` steps of each setting and splits the step's time into matrix
multiplies, other elementwise operators, normalisation, the optimiser and
the rest (Python, the dispatcher, autograd's bookkeeping).

Every setting runs the repo's one step, ``core.adversarial_train_step``, with its own networks built from the same
seed. ``--mmengine`` adds the same step through ``TIPSyGAN.train_step`` and
an ``OptimWrapperDict`` (needs mmengine), to show what the glue costs.

FLOPs are counted on one step with ``torch.utils.flop_counter``; GFLOP/s are
set against the matrix-multiply ceilings measured in the same run (fp32 and
bf16, the step's largest GEMM shape), also interleaved.

Inference: the student (``ResidualLifter``, 16 joints) in eval mode under
``torch.inference_mode``: ``fp32``, ``bf16`` (autocast), ``folded`` (batch
norm folded into the linear layers, ``core.inference.fold_batch_norm``) and
``folded-bf16`` (folded, bf16 weights), at ``--inference-batches``.

Poses are synthetic, root-centred and max-normalised unless ``--data NPZ``
gives a converted Human3.6M file (its ``part`` key, pixel 2D); the values do
not change the cost. Batches are drawn on the device, so the timed loop does
no host-to-device copy.
"""
import argparse
import os.path as osp
import statistics
import sys
import time

import torch

sys.path.insert(
    0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..', 'projects',
                'tipsy_gan'))

from tipsy_gan.core.adversarial_step import (  # noqa: E402
    AdversarialConfig, OptimizerStep, adversarial_train_step)
from tipsy_gan.core.consistency_terms import (  # noqa: E402
    AllAngleConsistency)
from tipsy_gan.core.geometry import Perspective  # noqa: E402
from tipsy_gan.core.inference import fold_batch_norm  # noqa: E402
from tipsy_gan.core.networks import (  # noqa: E402
    PartSplitLifter, PoseDiscriminator, ResidualLifter, SoloLifter,
    cpu_bf16_instructions, describe_network_dtype)
from tipsy_gan.core.normalization import normalize_pose_2d  # noqa: E402
from tipsy_gan.core.priors import (  # noqa: E402
    BoneProportionPrior, FacingPrior, KneeBendPrior)

TRAIN_OPTIONS = ('fp32', 'bf16', 'fused', 'foreach', 'compile', 'layernorm',
                 'batchnorm', 'nonorm', 'alljvp')
INFERENCE_SETTINGS = ('fp32', 'bf16', 'folded', 'folded-bf16')


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    p.add_argument('--threads', type=int, default=None,
                   help="torch.set_num_threads (default: torch's own)")
    p.add_argument('--width', type=int, default=256)
    p.add_argument('--batch-size', type=int, default=256)
    p.add_argument('--model', default='parts', choices=['parts', 'solo'])
    p.add_argument('--recipe', default='paper', choices=['paper', 'cpu'],
                   help="the paper's losses and BatchNorm lifter, or the "
                   "published CPU recipe's, "
                   'configs/history/tipsy_h36m_cpu_ln.py '
                   '(perspective P at depth 5, renormalised views, knee and '
                   'facing priors at weight 3, the bone prior, LayerNorm '
                   'generators)')
    p.add_argument('--train', nargs='*', default=['fp32', 'bf16'],
                   help=f"settings, options joined by '+': {TRAIN_OPTIONS}")
    p.add_argument('--profile', action='store_true',
                   help='profile each --train setting with torch.profiler '
                   'over --steps steps (no timing rounds) and print where '
                   'the step spends its time, by kind of operation')
    p.add_argument('--mmengine', action='store_true',
                   help='add the fp32 step through TIPSyGAN.train_step')
    p.add_argument('--rounds', type=int, default=7)
    p.add_argument('--steps', type=int, default=10,
                   help='timed steps per setting and round')
    p.add_argument('--warmup', type=int, default=3)
    p.add_argument('--inference-width', type=int, nargs='*', default=[],
                   help='student widths to time (none: skip inference)')
    p.add_argument('--inference-batches', type=int, nargs='*',
                   default=[1, 256, 4096])
    p.add_argument('--inference', nargs='*', default=list(INFERENCE_SETTINGS))
    p.add_argument('--data', default=None,
                   help='NPZ with a "part" key (N, 17, 2|3) of pixel 2D')
    p.add_argument('--num-poses', type=int, default=65536)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--loader', metavar='DATA_ROOT', default=None,
                   help='also time the mmengine train loader per batch: '
                   'TIPSyPose2DDataset + default_collate (then moved to '
                   '--device) against TIPSyResidentPose2DDataset on '
                   "--device, on DATA_ROOT's fps10 training file")
    return p.parse_args()


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


def adversarial_config(args, network_dtype=None, terms=()):
    if args.recipe == 'cpu':
        return AdversarialConfig(projection=Perspective(5.0),
                                 renormalize_views=True,
                                 priors=(KneeBendPrior(3.0), FacingPrior(3.0),
                                         BoneProportionPrior(1.0)),
                                 network_dtype=network_dtype, terms=terms)
    return AdversarialConfig(network_dtype=network_dtype, terms=terms)


class Batches:
    """Random minibatches drawn on the device (no host-device copies)."""

    def __init__(self, poses, batch_size, seed):
        self.poses, self.batch_size = poses, batch_size
        self.rng = torch.Generator(device=poses.device).manual_seed(seed)

    def __call__(self):
        idx = torch.randint(0, len(self.poses), (self.batch_size, ),
                            generator=self.rng, device=self.poses.device)
        return self.poses[idx]


class TrainSetting:
    """Networks, optimisers and the step for one training setting."""

    def __init__(self, name, args, device, poses):
        options = set(name.split('+'))
        unknown = options - set(TRAIN_OPTIONS) - {'mmengine'}
        if unknown:
            raise SystemExit(f'unknown training options {sorted(unknown)}; '
                             f'known: {TRAIN_OPTIONS}')
        self.name = name
        torch.manual_seed(args.seed)
        lifter_cls = PartSplitLifter if args.model == 'parts' else SoloLifter
        norm = ('layer' if 'layernorm' in options else
                'batch' if 'batchnorm' in options else
                'none' if 'nonorm' in options else
                'layer' if args.recipe == 'cpu' else 'batch')
        self.lifter = lifter_cls(width=args.width,
                                 norm=norm).to(device).train()
        self.disc = PoseDiscriminator(width=args.width).to(device).train()
        adam = {k: True for k in ('fused', 'foreach') if k in options}
        self.g_opt = torch.optim.Adam(self.lifter.parameters(), 2e-4, **adam)
        self.d_opt = torch.optim.Adam(self.disc.parameters(), 2e-4, **adam)
        self.config = adversarial_config(
            args, 'bfloat16' if 'bf16' in options else None,
            (AllAngleConsistency(1.0), ) if 'alljvp' in options else ())
        self.batches = Batches(poses, args.batch_size, args.seed)
        self.rng = torch.Generator(device=device).manual_seed(args.seed)
        self.lifter_call, self.disc_call = self.lifter, self.disc
        if 'compile' in options:
            self.lifter_call = torch.compile(self.lifter, dynamic=False)
            self.lifter_call.parts = self.lifter.parts
            self.disc_call = torch.compile(self.disc, dynamic=False)
        self.mmengine = None
        if 'mmengine' in options:
            self.mmengine = mmengine_step(args, device)

    def step(self):
        if self.mmengine is not None:
            return self.mmengine(self.batches())
        return adversarial_train_step(self.lifter_call, self.disc_call,
                                      self.batches(), self.config,
                                      OptimizerStep(self.g_opt),
                                      OptimizerStep(self.d_opt), self.rng)


def mmengine_step(args, device):
    """TIPSyGAN.train_step over an OptimWrapperDict (the tools/train.py
    path without data loading and hooks)."""
    import tipsy_gan.mmpose_modules  # noqa: F401
    from mmengine.registry import init_default_scope
    from tipsy_gan.engine.optim_constructor import \
        TIPSyOptimWrapperConstructor
    from tipsy_gan.models.tipsy_gan_model import TIPSyGAN
    init_default_scope('mmpose')
    extra = {}
    if args.recipe == 'cpu':
        extra = dict(projection=dict(type='Perspective', depth_offset=5.0),
                     priors=[dict(type='KneeBendPrior', weight=3.0),
                             dict(type='FacingPrior', weight=3.0),
                             dict(type='BoneProportionPrior', weight=1.0)],
                     adversarial=dict(renormalize_views=True))
    torch.manual_seed(args.seed)
    lifter = 'PartSplitLifter' if args.model == 'parts' else 'SoloLifter'
    norm = 'layer' if args.recipe == 'cpu' else 'batch'
    model = TIPSyGAN(lifter=dict(type=lifter, width=args.width, norm=norm),
                     **extra).to(device)
    adam = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=2e-4))
    wrappers = TIPSyOptimWrapperConstructor(
        dict(generator=adam, discriminator=adam))(model)
    return lambda batch: model.train_step({'inputs': batch}, wrappers)


def count_flops(fn):
    from torch.utils.flop_counter import FlopCounterMode
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops()


def interleaved(settings, run, rounds, warmup, device):
    """{name: [seconds per call, one per round]}, settings run A B C A B C."""
    for name, obj in settings.items():
        for _ in range(warmup):
            run(obj)
    sync(device)
    times = {name: [] for name in settings}
    for _ in range(rounds):
        for name, obj in settings.items():
            sync(device)
            start = time.perf_counter()
            run(obj)
            sync(device)
            times[name].append(time.perf_counter() - start)
    return times


def summarise(times, per_call_units, unit):
    """Lines: median, min-max, rate, speed-up against the first setting
    (median of the per-round ratios; its inverse is the cost ratio)."""
    names = list(times)
    base = times[names[0]]
    rows = []
    for name in names:
        t = times[name]
        ratios = [b / x for b, x in zip(base, t)]
        rows.append((name, statistics.median(t), min(t), max(t),
                     per_call_units / statistics.median(t),
                     statistics.median(ratios), min(ratios), max(ratios)))
    lines = []
    for name, med, lo, hi, rate, ratio, rlo, rhi in rows:
        lines.append(f'  {name:<22} {med * 1e3:9.2f} ms  ({lo * 1e3:.2f}-'
                     f'{hi * 1e3:.2f})  {rate:12,.0f} {unit}  speed-up '
                     f'{ratio:.2f}x ({rlo:.2f}-{rhi:.2f}), cost '
                     f'{1 / ratio:.2f}x ({1 / rhi:.2f}-{1 / rlo:.2f})')
    return lines, rows


def matmul_ceilings(args, device, m, k, n):
    """GFLOP/s of an (m, k) @ (k, n) product in fp32 and bf16, interleaved."""
    a = torch.randn(m, k, device=device)
    b = torch.randn(k, n, device=device)
    pairs = {'fp32': (a, b), 'bf16': (a.bfloat16(), b.bfloat16())}
    reps = 20

    def run(pair):
        for _ in range(reps):
            pair[0] @ pair[1]

    times = interleaved(pairs, run, args.rounds, 2, device)
    return {name: reps * 2 * m * k * n / statistics.median(t) / 1e9
            for name, t in times.items()}


def benchmark_training(args, device, poses):
    settings = {name: TrainSetting(name, args, device, poses)
                for name in args.train}
    if args.mmengine:
        settings['mmengine (fp32)'] = TrainSetting('mmengine', args, device,
                                                   poses)
    first = next(iter(settings.values()))
    flops = count_flops(first.step)
    print(f'\nadversarial step: {flops / 1e9:.2f} GFLOP '
          f'({flops / args.batch_size / 1e6:.1f} MFLOP a pose); '
          f'{args.rounds} rounds x {args.steps} steps, interleaved')

    def run(setting):
        for _ in range(args.steps):
            setting.step()

    times = interleaved(settings, run, args.rounds, args.warmup, device)
    times = {k: [t / args.steps for t in v] for k, v in times.items()}
    lines, rows = summarise(times, args.batch_size, 'poses/s')
    # the largest GEMM: the batched views through a width x width layer
    ceilings = matmul_ceilings(args, device, 4 * args.batch_size, args.width,
                               args.width)
    print(f'  matmul ceilings at ({4 * args.batch_size}, {args.width}) x '
          f'({args.width}, {args.width}), measured now: fp32 '
          f'{ceilings["fp32"]:,.0f} GFLOP/s, bf16 {ceilings["bf16"]:,.0f} '
          'GFLOP/s')
    for line, row in zip(lines, rows):
        achieved = flops / row[1] / 1e9
        print(f'{line}  {achieved:,.0f} GFLOP/s = '
              f'{achieved / ceilings["fp32"]:.0%} of fp32, '
              f'{achieved / ceilings["bf16"]:.0%} of bf16 ceiling')
    for line in option_costs(times):
        print(line)


# How the profile splits a step: aten operators by name, anything run under
# the optimiser's own record_function ('Optimizer.step#...'), and the rest
# of the wall time (Python, the dispatcher, autograd's bookkeeping).
MATMUL_OPS = ('aten::mm', 'aten::addmm', 'aten::bmm', 'aten::baddbmm',
              'aten::matmul', 'aten::linear', 'aten::_addmm_activation',
              'mkldnn::')
NORM_OPS = ('layer_norm', 'batch_norm', 'native_batch_norm')
PROFILE_KINDS = ('matmul', 'elementwise', 'normalisation', 'optimiser',
                 'python/dispatch')


def op_kind(event):
    """The profile kind of one profiler event's self time."""
    parent = event
    while parent is not None:
        if parent.name.startswith('Optimizer.'):
            return 'optimiser'
        parent = parent.cpu_parent
    name = event.name
    if name.startswith(MATMUL_OPS):
        return 'matmul'
    if any(n in name for n in NORM_OPS):
        return 'normalisation'
    if name.startswith('aten::'):
        return 'elementwise'
    return 'python/dispatch'  # autograd nodes, record_functions


def profile_training(args, device, poses):
    """Per setting: ms a step and its split by PROFILE_KINDS (the
    'python/dispatch' share is the wall time no operator accounts for, plus
    autograd's own nodes)."""
    from torch.profiler import ProfilerActivity, profile
    activities = [ProfilerActivity.CPU]
    if device.type == 'cuda':
        activities.append(ProfilerActivity.CUDA)
    print(f'\nprofile of the adversarial step ({args.steps} steps a '
          'setting, after warm-up); ms a step and share of the wall time')
    print('| setting | ms a step | ' + ' | '.join(PROFILE_KINDS) + ' |')
    print('|---|---|' + '---|' * len(PROFILE_KINDS))
    for name in args.train:
        setting = TrainSetting(name, args, device, poses)
        for _ in range(args.warmup):
            setting.step()
        sync(device)
        with profile(activities=activities) as prof:
            start = time.perf_counter()
            for _ in range(args.steps):
                setting.step()
            sync(device)
            wall = (time.perf_counter() - start) / args.steps * 1e3
        split = dict.fromkeys(PROFILE_KINDS, 0.0)
        for event in prof.events():
            split[op_kind(event)] += event.self_cpu_time_total / 1e3
        split = {k: v / args.steps for k, v in split.items()}
        split['python/dispatch'] += max(0.0, wall - sum(split.values()))
        print(f'| {name} | {wall:.1f} | ' + ' | '.join(
            f'{split[k]:.1f} ({split[k] / wall:.0%})'
            for k in PROFILE_KINDS) + ' |')


def option_costs(times):
    """Lines: the cost of one option, for each pair of settings that differ
    by exactly that option ('fp32' is no option), as the median (min-max)
    over rounds of the per-round time ratio."""
    def options(name):
        return frozenset(name.split('+')) - {'fp32'}

    lines = []
    for base, base_times in times.items():
        for name, name_times in times.items():
            extra = options(name) - options(base)
            if len(extra) == 1 and options(base) < options(name):
                ratios = [x / b for x, b in zip(name_times, base_times)]
                lines.append(f'  +{next(iter(extra))} on {base}: cost '
                             f'{statistics.median(ratios):.2f}x '
                             f'({min(ratios):.2f}-{max(ratios):.2f}) per '
                             'round')
    return lines


def inference_network(student, setting):
    if setting == 'fp32':
        return student, None
    if setting == 'bf16':
        return student, torch.bfloat16
    folded = fold_batch_norm(student)
    if setting == 'folded':
        return folded, None
    return folded.to(torch.bfloat16), 'weights'


@torch.inference_mode()
def benchmark_inference(args, device, poses):
    unknown = set(args.inference) - set(INFERENCE_SETTINGS)
    if unknown:
        raise SystemExit(f'unknown inference settings {sorted(unknown)}')
    for width in args.inference_width:
        torch.manual_seed(args.seed)
        student = ResidualLifter(width=width).to(device).eval()
        print(f'\nstudent inference, width {width} (eval, inference_mode)')
        for batch in args.inference_batches:
            x = poses[torch.arange(batch, device=device) % len(poses)]
            nets = {s: inference_network(student, s) for s in args.inference}
            reps = max(1, 4096 // batch)

            def run(net_dtype):
                net, dtype = net_dtype
                for _ in range(reps):
                    if dtype == 'weights':
                        net(x.bfloat16()).float()
                    elif dtype is not None:
                        with torch.autocast(device.type, dtype=dtype):
                            net(x).float()
                    else:
                        net(x)

            times = interleaved(nets, run, args.rounds, 2, device)
            times = {k: [t / reps for t in v] for k, v in times.items()}
            lines, _ = summarise(times, batch, 'poses/s')
            print(f' batch {batch}:')
            print('\n'.join(lines))


def benchmark_loader(args, device):
    """The training loader's cost per batch, interleaved: per-pose items
    collated on the host against the device-resident batch gather."""
    import tipsy_gan.mmpose_modules  # noqa: F401
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner
    init_default_scope('mmpose')
    dataset = dict(data_root=args.loader, data_prefix=dict(img='images/'),
                   ann_file='annotation_body3d/fps10/h36m_train.npz')
    common = dict(batch_size=args.batch_size, num_workers=0, drop_last=True,
                  persistent_workers=False,
                  sampler=dict(type='DefaultSampler', shuffle=True,
                               seed=args.seed))
    loaders = {
        'per-pose + collate': Runner.build_dataloader(dict(
            common, collate_fn=dict(type='default_collate'),
            dataset=dict(dataset, type='TIPSyPose2DDataset'))),
        f'resident on {device.type}': Runner.build_dataloader(dict(
            common, collate_fn=dict(type='tipsy_batched_collate'),
            dataset=dict(dataset, type='TIPSyResidentPose2DDataset',
                         device=str(device)))),
    }
    iterators = {name: iter(loader) for name, loader in loaders.items()}

    def run(name):
        for _ in range(args.steps):
            try:
                batch = next(iterators[name])
            except StopIteration:
                iterators[name] = iter(loaders[name])
                batch = next(iterators[name])
            batch['inputs'].to(device)  # what the data preprocessor does
    first = next(iter(loaders.values()))
    print(f'\ntrain loader: {len(first.dataset):,} poses, batch '
          f'{args.batch_size}; {args.rounds} rounds x {args.steps} batches, '
          'interleaved')
    times = interleaved({n: n for n in loaders}, run, args.rounds,
                        args.warmup, device)
    times = {k: [t / args.steps for t in v] for k, v in times.items()}
    for line in summarise(times, args.batch_size, 'poses/s')[0]:
        print(line)


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if device.type == 'cuda' and not torch.cuda.is_available():
        sys.exit('--device cuda given but CUDA is not available')
    poses, source = load_poses(args, device)
    name = (torch.cuda.get_device_name(device) if device.type == 'cuda'
            else f'cpu, {torch.get_num_threads()} thread(s)')
    print(f'device: {name}; torch {torch.__version__}; poses: {source}')
    if device.type == 'cpu':
        found = cpu_bf16_instructions()
        print(f'cpu capability: {torch.backends.cpu.get_cpu_capability()}; '
              f"bf16 instructions: {', '.join(found) or 'none'}; "
              + describe_network_dtype('auto', device))
    if args.train or args.mmengine:
        print(f'model: {args.model}, width {args.width}, batch '
              f'{args.batch_size}, recipe {args.recipe}')
        if args.profile:
            profile_training(args, device, poses)
        else:
            benchmark_training(args, device, poses)
    if args.inference_width:
        benchmark_inference(args, device, poses)
    if args.loader:
        benchmark_loader(args, device)


if __name__ == '__main__':
    main()
