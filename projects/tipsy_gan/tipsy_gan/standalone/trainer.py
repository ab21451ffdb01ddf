"""The standalone two-stage loop: what ``tools/train.py`` does for a TIPSy
config, without mmcv or MMPose, on one device.

Reproduced from the mmengine path (``TIPSyGAN`` + ``TIPSyTrainLoop`` +
``DefaultSampler`` + ``ParamSchedulerHook`` + ``EMAHook`` +
``TIPSyCurveHook``), exactly on the CPU:

- seeding: mmengine's ``set_random_seed(randomness.seed)`` (Python, NumPy,
  torch), then the networks in ``TIPSyGAN.__init__``'s order on the CPU,
  then moved to the device;
- data order: epoch e is ``torch.randperm(N)`` of a CPU generator seeded
  with ``seed + e`` (``DefaultSampler(shuffle=True)``), cut into
  ``N // batch`` batches (``drop_last``); the poses live on the device as
  one tensor and each batch is an ``index_select`` there;
- the step: ``core.adversarial_step.adversarial_train_step`` with
  ``OptimizerStep`` around torch Adam, the step generator on the device
  seeded with ``model.seed`` (+ rank 0); then, after the switch,
  ``core.distillation.distillation_train_step``;
- the schedules: the config's ``param_scheduler``, mmengine's own classes,
  stepped after every iteration or epoch as ``ParamSchedulerHook`` does;
- the curve: ``research.curve.LabelFreeCurve`` every ``interval``
  iterations of the adversarial stage, as ``TIPSyCurveHook``;
- the switch: the teacher := the stopping rule's pick or the averaged
  lifter (``averaging``), the averaging stops.

On a GPU it adds what pays there (each one a choice of :class:`Options`):
the networks under bf16 autocast (``AdversarialConfig.network_dtype``),
fused Adam, optional ``torch.compile`` of the networks, losses accumulated
on the device and read every ``log_every`` steps (the step itself never
waits for the device), and a time budget: as many adversarial epochs as fit,
then the distillation, then the outputs.
"""
import copy
import dataclasses
import json
import math
import sys
import time
from pathlib import Path
from typing import Callable, Dict, Optional

import torch

from ..core.adversarial_step import OptimizerStep, adversarial_train_step
from ..core.distillation import distillation_train_step
from ..research.curve import LabelFreeCurve
from ..utils.epochs import epochs_to_iters
from . import checkpoint as ckpt
from .averaging import LifterAverage
from .recipe import (Recipe, averaging_first_iter, build_networks,
                     build_optimizer, build_pieces, resolve_averaging,
                     seed_everything)

FLOP_COUNT_BATCH = 64  # FLOPs are linear in the batch: count small, scale


class NonFiniteLossError(RuntimeError):
    pass


@dataclasses.dataclass
class Options:
    device: str = 'cpu'
    # 'auto': bfloat16 on CUDA, the recipe's elsewhere; 'recipe'; 'none';
    # or a dtype name ('bfloat16', 'float16')
    network_dtype: str = 'auto'
    fused_adam: str = 'auto'  # 'auto' (on CUDA), 'on', 'off'
    compile: bool = False
    compile_mode: Optional[str] = None
    log_every: int = 50
    # time budget (minutes, from ``clock_start``): as many adversarial
    # epochs as fit before the distillation and ``reserve_seconds``
    max_minutes: Optional[float] = None
    reserve_seconds: float = 30.0
    probe_steps: int = 20
    # stage lengths: None = the recipe's; with a budget, adversarial_epochs
    # is a cap
    adversarial_epochs: Optional[int] = None
    distillation_epochs: Optional[int] = None
    # stop a stage after this many steps (dry runs)
    adversarial_steps: Optional[int] = None
    distillation_steps: Optional[int] = None
    min_adversarial_epochs: int = 0
    # where the curve's CSV, snapshots and picked_lifter.pth go (a recipe
    # with a TIPSyCurveHook)
    work_dir: Optional[str] = None
    peak_flops: float = 790e12
    count_flops: bool = True


def resolve_network_dtype(option: str, device) -> object:
    """The ``network_dtype`` of ``build_pieces`` for an option."""
    if option == 'auto':
        return 'bfloat16' if torch.device(device).type == 'cuda' else 'recipe'
    if option in ('none', 'None', 'float32'):
        return None
    return option


def _sync(device):
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def _set_compile_limits():
    import torch._dynamo.config as dynamo_config
    for name, value in (('cache_size_limit', 64), ('recompile_limit', 64),
                        ('accumulated_cache_size_limit', 512),
                        ('accumulated_recompile_limit', 512)):
        if hasattr(dynamo_config, name):
            setattr(dynamo_config, name, value)


class LossWindow:
    """Per-key sums of the step outputs, kept on the device."""

    def __init__(self):
        self.keys = None
        self.total = None
        self.count = 0

    def add(self, out: Dict[str, torch.Tensor]) -> None:
        if self.keys is None:
            self.keys = list(out)
        values = torch.stack([out[k].detach().float() for k in self.keys])
        self.total = values if self.total is None else self.total + values
        self.count += 1

    def flush(self) -> Dict[str, float]:
        """The window's means (one device-to-host copy); then empty."""
        if not self.count:
            return {}
        means = (self.total / self.count).tolist()
        out = dict(zip(self.keys, means))
        self.total, self.count = None, 0
        return out


class Trainer:
    """The networks, optimisers, step generator and data of one run.

    ``poses``: the (N, 16, 2) training poses, on ``options.device``.
    ``emit``: called with each log record (a dict).
    ``heldout``: the curve's (M, 16, 2) held-out 2D (on the run's device),
    when the recipe has a ``TIPSyCurveHook``.
    """

    def __init__(self, recipe: Recipe, poses: torch.Tensor, options: Options,
                 emit: Optional[Callable[[dict], None]] = None,
                 clock_start: Optional[float] = None,
                 heldout: Optional[torch.Tensor] = None):
        self.recipe = recipe
        self.options = options
        self.device = torch.device(options.device)
        self.clock_start = (time.monotonic() if clock_start is None else
                            clock_start)
        self.emit = emit or (lambda record: None)
        if poses.device != self.device:
            raise ValueError(f'poses are on {poses.device}, the run on '
                             f'{self.device}')
        self.poses = poses
        self.batch_size = int(recipe.batch_size)
        self.iters_per_epoch = poses.shape[0] // self.batch_size
        if self.iters_per_epoch < 1:
            raise ValueError(f'{poses.shape[0]} poses make no batch of '
                             f'{self.batch_size} (drop_last)')

        # mmengine: set_random_seed, then the model (on the CPU), then to
        # the device; optimisers and the EMA copy after that.
        seed_everything(int(recipe.seed))
        pieces = build_pieces(recipe, resolve_network_dtype(
            options.network_dtype, self.device))
        self.config, self.distillation = (pieces.adversarial,
                                          pieces.distillation)
        self.sign_chooser = pieces.sign_chooser
        self.sign_choice_for = pieces.sign_choice_for
        self.nets = build_networks(pieces).to(self.device)
        nets = self.nets
        self.lifter, self.discriminator = nets.lifter, nets.discriminator
        self.teacher, self.student = nets.teacher, nets.student
        fused = (options.fused_adam == 'on' or
                 (options.fused_adam == 'auto' and self.device.type == 'cuda'))
        self.fused_adam = fused
        optim = recipe.optim
        self.generator_optim = OptimizerStep(build_optimizer(
            optim['generator'], self.lifter.parameters(), fused))
        self.discriminator_optim = OptimizerStep(build_optimizer(
            optim['discriminator'], self.discriminator.parameters(), fused))
        self.student_optim = None if self.student is None else OptimizerStep(
            build_optimizer(optim['student'], self.student.parameters(),
                            fused))
        self.averaging = None
        self.averaging_cfg = resolve_averaging(recipe.averaging,
                                               self.iters_per_epoch)
        if self.averaging_cfg is not None:
            # the teacher is the averaged lifter; a run that ends in the
            # adversarial stage saves the averaged lifter and discriminator
            # (EMAHook swaps its whole average into the last checkpoint)
            self.averaged = (self.lifter if self._recipe_plan()[1] else
                             torch.nn.ModuleDict(dict(
                                 lifter=self.lifter,
                                 discriminator=self.discriminator)))
            self.averaging = LifterAverage(self.averaged, **self.averaging_cfg)
        self.schedules = self._build_schedules()
        self.curve = self._build_curve(heldout)
        self.step_rng = torch.Generator(device=self.device)
        self.step_rng.manual_seed(int(recipe.step_seed) + 0)  # rank 0
        self.flops = {}
        self.compiled = False
        self.iteration = 0  # global, 0-based, as runner.iter
        self.epoch = 0

    # ------------------------------------------------------------- pieces
    def elapsed(self) -> float:
        return time.monotonic() - self.clock_start

    def _build_schedules(self):
        """The config's ``param_scheduler``, built as mmengine's Runner
        builds it (its own classes; ``end`` defaults to the last epoch or
        iteration; by-epoch schedules converted with the epoch's length)."""
        if not self.recipe.schedules:
            return []
        import mmengine.optim  # noqa: F401  (registers the schedulers)
        from mmengine.registry import PARAM_SCHEDULERS
        optimizers = dict(generator=self.generator_optim,
                          discriminator=self.discriminator_optim,
                          student=self.student_optim)
        epochs = sum(self._recipe_plan())
        schedules = []
        for name, entries in self.recipe.schedules.items():
            if optimizers.get(name) is None:
                continue  # no student: mmengine builds no wrapper for it
            for entry in entries:
                entry = copy.deepcopy(entry)
                entry.setdefault('end', epochs if entry.get('by_epoch', True)
                                 else epochs * self.iters_per_epoch)
                schedules.append(PARAM_SCHEDULERS.build(
                    entry, default_args=dict(
                        optimizer=optimizers[name].optimizer,
                        epoch_length=self.iters_per_epoch)))
        return schedules

    def _step_schedules(self, by_epoch):
        """ParamSchedulerHook: after every iteration the iteration-based
        schedules, after every epoch the epoch-based ones."""
        for schedule in self.schedules:
            if bool(schedule.by_epoch) == by_epoch:
                schedule.step()

    def _build_curve(self, heldout):
        """``TIPSyCurveHook``'s label-free curve (``research.curve``)."""
        spec = self.recipe.curve
        if spec is None:
            return None
        if heldout is None or self.options.work_dir is None:
            raise ValueError('the config has a TIPSyCurveHook: give the '
                             'held-out 2D (tools/gpu/prepare_data.py '
                             '--heldout) and a work_dir')
        interval = spec.get('interval')
        if interval is None:
            interval = max(1, epochs_to_iters(spec['interval_epochs'],
                                              self.iters_per_epoch))
        return LabelFreeCurve(self.options.work_dir, heldout, interval,
                              spec.get('snapshots', True), spec.get('select'))

    def adversarial_step(self, batch):
        return adversarial_train_step(self.lifter, self.discriminator, batch,
                                      self.config, self.generator_optim,
                                      self.discriminator_optim,
                                      self.step_rng)

    def distillation_step(self, batch):
        return distillation_train_step(
            self.student, self.teacher, batch, self.student_optim,
            self.config.network_dtype,
            self.choose_signs if 'targets' in self.sign_choice_for else None,
            self.distillation, self.config.projection, self.step_rng)

    def choose_signs(self, pose_2d, depth):
        """As ``TIPSyGAN.choose_signs``: each part's sign chosen label-free
        (``sign_choice`` with 'targets')."""
        return self.sign_chooser.choose(pose_2d, depth, self.lifter.parts,
                                        self.config, self.discriminator)[0]

    def epoch_batches(self, epoch: int):
        """DefaultSampler(shuffle=True, seed) at ``epoch``, drop_last."""
        generator = torch.Generator()
        generator.manual_seed(int(self.recipe.seed) + epoch)
        order = torch.randperm(self.poses.shape[0], generator=generator)
        order = order.to(self.device)  # one copy per epoch
        b = self.batch_size
        for i in range(self.iters_per_epoch):
            yield self.poses.index_select(0, order[i * b:(i + 1) * b])

    def count_flops(self) -> Dict[str, float]:
        """FLOPs of one adversarial and one distillation step at the run's
        batch (torch's FlopCounterMode on CPU copies at a small batch, scaled:
        every counted product is linear in the batch). Touches no state of
        the run."""
        from torch.utils.flop_counter import FlopCounterMode
        batch = min(self.batch_size, FLOP_COUNT_BATCH)
        scale = self.batch_size / batch
        poses = self.poses[:batch].detach().to('cpu', torch.float32)
        config = dataclasses.replace(self.config, network_dtype=None)
        lifter = copy.deepcopy(self.lifter).cpu()
        discriminator = copy.deepcopy(self.discriminator).cpu()
        rng = torch.Generator().manual_seed(0)
        with FlopCounterMode(display=False) as counter:
            adversarial_train_step(
                lifter, discriminator, poses, config,
                OptimizerStep(torch.optim.Adam(lifter.parameters())),
                OptimizerStep(torch.optim.Adam(discriminator.parameters())),
                rng)
        flops = {'adversarial': counter.get_total_flops() * scale}
        if self.student is not None:
            student = copy.deepcopy(self.student).cpu()
            teacher = copy.deepcopy(self.teacher).cpu()
            with FlopCounterMode(display=False) as counter:
                distillation_train_step(
                    student, teacher, poses,
                    OptimizerStep(torch.optim.Adam(student.parameters())))
            flops['distillation'] = counter.get_total_flops() * scale
        self.flops = flops
        return flops

    def compile(self):
        """``torch.compile`` each network in place (state_dict keys stay)."""
        _set_compile_limits()
        kwargs = dict(dynamic=False)
        if self.options.compile_mode:
            kwargs['mode'] = self.options.compile_mode
        for module in (self.lifter, self.discriminator, self.teacher,
                       self.student):
            if module is not None:
                module.compile(**kwargs)
        self.compiled = True

    def rate_record(self, stage, steps, seconds):
        rate = steps / seconds if seconds > 0 else float('nan')
        record = dict(steps_per_s=rate)
        flops = self.flops.get(stage)
        if flops:
            record['tflops_per_s'] = flops * rate / 1e12
            record['peak_share'] = flops * rate / self.options.peak_flops
        return record

    # ------------------------------------------------------------- probes
    def _time_distillation(self, steps=8, warmup=2) -> float:
        """Seconds per distillation step, measured on the student and then
        undone (weights, BN statistics and optimiser state restored)."""
        saved = {k: v.clone() for k, v in self.student.state_dict().items()}
        saved_optim = copy.deepcopy(self.student_optim.optimizer.state_dict())
        b = self.batch_size
        batch = self.poses[:b]
        for _ in range(warmup):
            self.distillation_step(batch)
        _sync(self.device)
        start = time.monotonic()
        for _ in range(steps):
            self.distillation_step(batch)
        _sync(self.device)
        seconds = (time.monotonic() - start) / steps
        self.student.load_state_dict(saved)
        self.student_optim.optimizer.load_state_dict(saved_optim)
        self.student_optim.optimizer.zero_grad(set_to_none=True)
        return seconds

    # ------------------------------------------------------------- plan
    def _recipe_plan(self):
        recipe, options = self.recipe, self.options
        adversarial = (recipe.adversarial_epochs
                       if options.adversarial_epochs is None else
                       int(options.adversarial_epochs))
        distillation = (recipe.distillation_epochs
                        if options.distillation_epochs is None else
                        int(options.distillation_epochs))
        if self.student is None:
            distillation = 0
        return adversarial, distillation

    def _averaging_start(self, adversarial_steps):
        """The first averaged iteration: EMAHook's, or scaled with the
        adversarial stage when that is not the recipe's length."""
        first = averaging_first_iter(self.averaging_cfg,
                                     self.iters_per_epoch)
        if first is None:
            return None
        recipe_steps = self.recipe.adversarial_epochs * self.iters_per_epoch
        if adversarial_steps != recipe_steps:
            first = int(round(first * adversarial_steps / recipe_steps))
        return first

    # ------------------------------------------------------------- run
    def run(self) -> dict:
        options, ipe = self.options, self.iters_per_epoch
        adversarial_epochs, distillation_epochs = self._recipe_plan()
        budget = (None if options.max_minutes is None else
                  60.0 * float(options.max_minutes))
        cap = (None if options.adversarial_steps is None else
               int(options.adversarial_steps))

        def adversarial_total(epochs):
            total = epochs * ipe
            return total if cap is None else min(total, cap)

        adv_total = adversarial_total(adversarial_epochs)
        if budget is not None and options.adversarial_epochs is None:
            adv_total = adversarial_total(10 ** 9)  # planned below
        dist_total = distillation_epochs * ipe
        if options.distillation_steps is not None:
            dist_total = min(dist_total, int(options.distillation_steps))
        # a budget is planned from the first steps' speed, unless the stage
        # is too short to measure (then it runs as capped)
        planned = budget is None or adv_total <= 3 + options.probe_steps
        # with a budget, the averaging start is set by the plan
        first_avg = (self._averaging_start(adversarial_total(
            adversarial_epochs)) if planned else None)
        planned_in_epoch = None
        t_adv = t_dist = None

        self.emit(dict(event='plan', budget_s=budget,
                       iters_per_epoch=ipe, batch_size=self.batch_size,
                       num_poses=int(self.poses.shape[0]),
                       adversarial_steps=None if not planned else adv_total,
                       distillation_steps=dist_total,
                       averaging_first_iter=first_avg if planned else None,
                       network_dtype=self.config.network_dtype,
                       fused_adam=self.fused_adam, compiled=self.compiled,
                       flops_per_step=self.flops))

        window = LossWindow()
        stage_start = time.monotonic()
        window_start, window_steps = stage_start, 0
        probe_start = None
        notes = []

        def flush(stage):
            nonlocal window_start, window_steps
            if not window.count:
                return
            losses = window.flush()  # waits for the device
            now = time.monotonic()
            bad = [k for k, v in losses.items() if not math.isfinite(v)]
            record = dict(event='train', stage=stage, epoch=self.epoch + 1,
                          iter=self.iteration, losses=losses,
                          elapsed_s=round(self.elapsed(), 3))
            record.update(self.rate_record(stage, window_steps,
                                           now - window_start))
            self.emit(record)
            window_start, window_steps = now, 0
            if bad:
                raise NonFiniteLossError(
                    f'non-finite loss at epoch {self.epoch + 1}, iteration '
                    f'{self.iteration}: {", ".join(bad)}')

        # ---------------- adversarial stage
        self.nets.train()
        steps_done = 0
        stage = 'adversarial'
        while steps_done < adv_total:
            self.nets.train()  # as runner.model.train() every epoch
            epoch_start = time.monotonic()
            epoch_steps = 0
            for batch in self.epoch_batches(self.epoch):
                out = self.adversarial_step(batch)
                if self.averaging is not None and first_avg is not None \
                        and self.iteration >= first_avg:
                    self.averaging.update(self.averaged)
                window.add(out)
                self.iteration += 1
                steps_done += 1
                epoch_steps += 1
                window_steps += 1
                self._step_schedules(by_epoch=False)
                if self.curve is not None:
                    self.curve.add(out)
                    if self.curve.due(self.iteration, adv_total):
                        self.curve.record(
                            self.iteration, self.iteration / ipe, self.lifter,
                            self.discriminator, self.config)
                if window_steps >= options.log_every:
                    flush(stage)
                if not planned:
                    warm = min(3, max(adv_total - 1, 0))
                    if steps_done == warm:
                        _sync(self.device)
                        probe_start = time.monotonic()
                    elif steps_done == warm + options.probe_steps:
                        _sync(self.device)
                        t_adv = ((time.monotonic() - probe_start) /
                                 options.probe_steps)
                        adv_total, first_avg, t_dist = self._plan_budget(
                            budget, t_adv, steps_done, dist_total, cap,
                            notes)
                        planned = True
                        planned_in_epoch = self.epoch
                if steps_done >= adv_total:
                    break
            self.epoch += 1
            self._step_schedules(by_epoch=True)
            if steps_done >= adv_total:
                break
            if budget is not None and planned:
                _sync(self.device)
                per_step = (time.monotonic() - epoch_start) / max(
                    epoch_steps, 1)
                if planned_in_epoch == self.epoch - 1:
                    per_step = t_adv  # that epoch also compiled and probed
                t_adv = per_step
                need = (ipe * per_step + dist_total * (t_dist or 0.0) +
                        options.reserve_seconds)
                if self.elapsed() + need > budget:
                    notes.append(f'adversarial stage cut at epoch '
                                 f'{self.epoch} ({steps_done} steps): the '
                                 'next epoch would not fit the budget')
                    adv_total = steps_done
                    break
        flush(stage)
        _sync(self.device)
        adversarial_seconds = time.monotonic() - stage_start
        adversarial_epochs_done = self.epoch
        summary = dict(adversarial_steps=steps_done,
                       adversarial_epochs=adversarial_epochs_done,
                       adversarial_seconds=adversarial_seconds)
        summary.update({f'adversarial_{k}': v for k, v in self.rate_record(
            'adversarial', steps_done, adversarial_seconds).items()})

        # ---------------- the switch
        if self.student is not None and dist_total > 0:
            if self.curve is not None and self.curve.select is not None:
                iteration, state = self.curve.picked_lifter()
                source = copy.deepcopy(self.lifter)
                source.load_state_dict(state)
                how = (f'the lifter at iteration {iteration}, picked by the '
                       f'stopping rule {self.curve.select!r}')
            elif self.averaging is not None and self.averaging.steps > 0:
                source, how = self.averaging.module, self.averaging.describe()
            else:
                source = self.lifter
                how = 'the lifter after the last adversarial epoch'
                if self.averaging is not None:
                    notes.append('the averaging never started: the teacher is'
                                 ' the last lifter')
            self.teacher.load_state_dict(source.state_dict())
            self.nets.distilling.fill_(True)
            self.emit(dict(event='switch', epoch=self.epoch + 1,
                           iter=self.iteration, teacher=how))
            summary['teacher'] = how

        # ---------------- distillation stage
        stage = 'distillation'
        window = LossWindow()
        stage_start = time.monotonic()
        window_start, window_steps = stage_start, 0
        dist_done = 0
        while dist_done < dist_total:
            self.nets.train()
            epoch_start = time.monotonic()
            epoch_steps = 0
            for batch in self.epoch_batches(self.epoch):
                window.add(self.distillation_step(batch))
                self.iteration += 1
                dist_done += 1
                epoch_steps += 1
                window_steps += 1
                self._step_schedules(by_epoch=False)
                if window_steps >= options.log_every:
                    flush(stage)
                if dist_done >= dist_total:
                    break
            self.epoch += 1
            self._step_schedules(by_epoch=True)
            if dist_done >= dist_total:
                break
            if budget is not None:
                _sync(self.device)
                per_step = (time.monotonic() - epoch_start) / max(
                    epoch_steps, 1)
                if self.elapsed() + ipe * per_step + \
                        options.reserve_seconds > budget:
                    notes.append(f'distillation cut at {dist_done} of '
                                 f'{dist_total} steps: the budget')
                    break
        flush(stage)
        _sync(self.device)
        distillation_seconds = time.monotonic() - stage_start
        summary.update(distillation_steps=dist_done,
                       distillation_epochs=self.epoch - adversarial_epochs_done,
                       distillation_seconds=distillation_seconds)
        if dist_done:
            summary.update({f'distillation_{k}': v for k, v in
                            self.rate_record('distillation', dist_done,
                                             distillation_seconds).items()})
        if self.curve is not None and self.curve.select is not None:
            iteration, path = self.curve.write_pick(self.discriminator)
            summary.update(picked_iter=iteration, picked_lifter=path)
        summary.update(epochs=self.epoch, iterations=self.iteration,
                       averaging_first_iter=first_avg,
                       averaging_updates=(None if self.averaging is None else
                                          self.averaging.steps),
                       notes=notes)
        if options.min_adversarial_epochs:
            summary['min_adversarial_epochs'] = options.min_adversarial_epochs
            summary['min_adversarial_epochs_reached'] = (
                adversarial_epochs_done >= options.min_adversarial_epochs
                and steps_done >= options.min_adversarial_epochs * ipe)
        return summary

    def _plan_budget(self, budget, t_adv, steps_done, dist_total, cap,
                     notes):
        """(adversarial steps, first averaged iteration, seconds per
        distillation step): as many whole epochs as fit."""
        ipe = self.iters_per_epoch
        t_dist = 0.0
        if self.student is not None and dist_total > 0:
            t_dist = self._time_distillation()
        left = (budget - self.elapsed() - self.options.reserve_seconds -
                dist_total * t_dist)
        fit_steps = steps_done + max(0, int(left / t_adv))
        epochs = max(1, fit_steps // ipe)
        if self.options.adversarial_epochs is not None:
            epochs = min(epochs, int(self.options.adversarial_epochs))
        total = epochs * ipe
        if cap is not None:
            total = min(total, cap)
        total = max(total, steps_done)
        first = self._averaging_start(total)
        if first is not None and first < steps_done:
            notes.append(f'the averaging was planned to start at iteration '
                         f'{first}, before the plan was made: it starts at '
                         f'{steps_done}')
            first = steps_done
        self.emit(dict(event='budget_plan', seconds_per_adversarial_step=t_adv,
                       seconds_per_distillation_step=t_dist,
                       adversarial_epochs=epochs, adversarial_steps=total,
                       distillation_steps=dist_total,
                       averaging_first_iter=first,
                       adversarial_epochs_cap=self.options.adversarial_epochs,
                       elapsed_s=round(self.elapsed(), 3)))
        return total, first, t_dist

    # ------------------------------------------------------------- outputs
    def state_dict(self):
        """The CPU state dict, checked finite (as NonFiniteLossHook does
        before a checkpoint)."""
        state = ckpt.cpu_state_dict(self.nets)
        bad = [k for k, v in state.items()
               if v.is_floating_point() and not torch.isfinite(v).all()]
        if bad:
            raise NonFiniteLossError(f'non-finite weights ({", ".join(bad[:5])}'
                                     f'{", ..." if len(bad) > 5 else ""}): '
                                     'no checkpoint written')
        return state

    def final_state_dict(self):
        """As mmengine's last checkpoint: after distillation the networks as
        they are; when the run ends in the adversarial stage with
        averaging, the lifter and discriminator entries hold their averages
        (EMAHook's convention)."""
        state = self.state_dict()
        if not bool(self.nets.distilling) and self.averaging is not None \
                and self.averaging.steps > 0:
            prefix = 'lifter.' if self.averaged is self.lifter else ''
            for k, v in self.averaging.module.state_dict().items():
                state[prefix + k] = v.detach().cpu().clone()
        return state

    def checkpoint_meta(self, summary, extra=None):
        meta = dict(
            tipsy_standalone=dict(
                config_file=self.recipe.config_file,
                device=str(self.device),
                device_name=(torch.cuda.get_device_name(self.device)
                             if self.device.type == 'cuda' else 'cpu'),
                torch_version=str(torch.__version__),
                python_version=sys.version.split()[0],
                network_dtype=self.config.network_dtype,
                fused_adam=self.fused_adam, compiled=self.compiled,
                summary=summary))
        meta['tipsy_standalone'].update(extra or {})
        return meta

    def write_outputs(self, out_dir, summary, *, full_checkpoint=True,
                      return_form=True, return_dtype=torch.float16,
                      shard_bytes=ckpt.DEFAULT_SHARD_BYTES, extra_meta=None):
        out_dir = Path(out_dir)
        state = self.final_state_dict()
        meta = self.checkpoint_meta(summary, extra_meta)
        written = {}
        checkpoint = ckpt.training_checkpoint(
            state, cfg_text=self.recipe.config_text, epoch=self.epoch,
            iteration=self.iteration, seed=int(self.recipe.seed), meta=meta,
            step_rng=self.step_rng)
        if full_checkpoint:
            path = out_dir / f'epoch_{self.epoch}.pth'
            ckpt.save_checkpoint(checkpoint, path)
            written['checkpoint'] = str(path)
        if return_form and self.student is not None:
            manifest = ckpt.write_return(
                state, checkpoint['meta'], out_dir, dtype=return_dtype,
                shard_bytes=shard_bytes)
            written['return_manifest'] = str(out_dir /
                                             'tipsy_return.manifest.json')
            written['return_shards'] = ckpt.shard_names(manifest)
            written['return_sha256'] = manifest['sha256']
        return written


def jsonl_emitter(path, echo=True):
    """An ``emit`` that appends JSON lines to ``path`` and prints a short
    line per record."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, 'a', buffering=1)

    def emit(record):
        handle.write(json.dumps(record) + '\n')
        if echo:
            print(format_record(record), flush=True)

    emit.close = handle.close
    return emit


def format_record(record) -> str:
    event = record.get('event')
    if event == 'train':
        losses = ' '.join(f'{k}: {v:.6g}' for k, v in record['losses'].items())
        rate = record.get('steps_per_s', float('nan'))
        share = record.get('peak_share')
        perf = f'{rate:.2f} steps/s' + (
            f', {100 * share:.1f}% of peak' if share is not None else '')
        return (f'[{record["stage"]}] epoch {record["epoch"]} iter '
                f'{record["iter"]} ({record["elapsed_s"]:.0f} s, {perf}) '
                f'{losses}')
    return f'[{event}] ' + ', '.join(f'{k}={v}' for k, v in record.items()
                                      if k != 'event')
