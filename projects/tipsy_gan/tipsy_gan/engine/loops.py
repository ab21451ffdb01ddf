"""The two-stage schedule of TIPSy-GAN (§3.5): adversarial, then distillation.

``train_cfg = dict(type='TIPSyTrainLoop', adversarial_epochs=A,
distillation_epochs=D)`` trains A adversarial epochs and then D epochs of
distillation, A + D epochs in all; the stage lengths are set here and
nowhere else. A model without a student trains the adversarial stage only.

At the switch the teacher becomes the lifter as the adversarial stage left it
or, when the config has mmengine's ``EMAHook`` (``ExponentialMovingAverage``
or ``StochasticWeightAverage``), its averaged lifter: the label-free choice
of §4.3 (the last weights, or a weight average over a range), or, with a
``TIPSyCurveHook(select=RULE)``, the lifter snapshot its label-free stopping
rule picks (``research/stopping.py``). The EMAHook then stops: it has averaged the adversarial stage, and averaging the student
with its own initial weights would spoil it. Checkpoints of the adversarial
stage hold the averaged weights (EMAHook's convention), so ``tools/test.py``
on a solo or leg + torso checkpoint scores the averaged lifter.

``teacher=PATH`` with ``adversarial_epochs=0`` distils a lifter trained
before (``picked_lifter.pth`` or a ``tools/train.py`` checkpoint of the same
lifter) instead of training one: the distillation stage alone, e.g. to try
a student's recipe on teachers already picked.

The loop also keeps the step's random stream (rotations, label flips) in the
checkpoints (``TIPSyRandomStateHook``), so a resumed run draws the same
numbers as an uninterrupted one.
"""
import copy
import os.path as osp
import time

from mmengine.hooks import EMAHook
from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop
from mmpose.registry import LOOPS

from ..utils.checkpoint_compat import load_local_checkpoint
from ..utils.checkpoint_kinds import lifter_state
from .hooks import TIPSyRandomStateHook, unwrapped_model


@LOOPS.register_module()
class TIPSyTrainLoop(EpochBasedTrainLoop):
    """``EpochBasedTrainLoop`` over the adversarial and distillation stages.

    Args:
        adversarial_epochs (int): epochs of the adversarial stage (>= 1).
        distillation_epochs (int): epochs of distillation; ignored, with a
            message, when the model has no student.
        teacher (str, optional): a lifter checkpoint to distil (then
            ``adversarial_epochs=0``): ``picked_lifter.pth`` or a
            ``tools/train.py`` checkpoint.
        **kwargs: ``EpochBasedTrainLoop``'s other arguments.
    """

    def __init__(self, runner, dataloader, adversarial_epochs,
                 distillation_epochs=0, teacher=None, **kwargs):
        if 'max_epochs' in kwargs:
            raise ValueError('TIPSyTrainLoop counts max_epochs itself '
                             '(adversarial_epochs + distillation_epochs)')
        least = 0 if teacher is not None else 1
        if int(adversarial_epochs) != adversarial_epochs or \
                adversarial_epochs < least:
            raise ValueError(f'adversarial_epochs must be an integer >= '
                             f'{least}, got {adversarial_epochs!r}')
        if teacher is not None:
            if adversarial_epochs:
                raise ValueError(
                    f'teacher={teacher!r} distils a lifter trained before, '
                    'so adversarial_epochs must be 0, got '
                    f'{adversarial_epochs!r}')
            if not distillation_epochs:
                raise ValueError(f'teacher={teacher!r} needs '
                                 'distillation_epochs >= 1')
            if getattr(unwrapped_model(runner), 'student', None) is None:
                raise ValueError(f'teacher={teacher!r}: the model has no '
                                 'student to distil into')
            if not osp.isfile(teacher):
                raise FileNotFoundError(f'teacher: no file {teacher!r}')
        self.teacher = teacher
        if int(distillation_epochs) != distillation_epochs or \
                distillation_epochs < 0:
            raise ValueError('distillation_epochs must be an integer >= 0, '
                             f'got {distillation_epochs!r}')
        if distillation_epochs and getattr(unwrapped_model(runner),
                                           'student', None) is None:
            print_log(f'TIPSyTrainLoop: the model has no student, so its '
                      f'{distillation_epochs} distillation epoch(s) are '
                      'skipped', logger='current')
            distillation_epochs = 0
        self.adversarial_epochs = int(adversarial_epochs)
        self.distillation_epochs = int(distillation_epochs)
        super().__init__(runner, dataloader,
                         max_epochs=self.adversarial_epochs +
                         self.distillation_epochs, **kwargs)
        if not any(isinstance(h, TIPSyRandomStateHook) for h in runner.hooks):
            runner.register_hook(TIPSyRandomStateHook())

    def stage_at(self, epoch):
        """'adversarial' or 'distillation' for a 0-based epoch."""
        return ('adversarial' if epoch < self.adversarial_epochs else
                'distillation')

    def _ema_hooks(self):
        return [h for h in self.runner.hooks if isinstance(h, EMAHook)]

    def run(self):
        print_log(f'TIPSyTrainLoop: {self.adversarial_epochs} adversarial '
                  f'epoch(s), then {self.distillation_epochs} of '
                  'distillation', logger='current')
        return super().run()

    def run_epoch(self):
        model = unwrapped_model(self.runner)
        if self.stage_at(self._epoch) == 'distillation':
            if not bool(model.distilling):
                self._start_distillation(model)
            if model.distillation.cache_targets and model.target_cache is None:
                self._cache_targets(model)  # also after a resume
            for hook in self._ema_hooks():  # also after a resume
                self.runner._hooks.remove(hook)
        super().run_epoch()

    def _cache_targets(self, model):
        poses = getattr(self.dataloader.dataset, 'keypoint_labels', None)
        if poses is None:
            raise TypeError('distillation.cache_targets needs the train '
                            'dataset to hold its poses (TIPSyPose2DDataset), '
                            f'not {type(self.dataloader.dataset).__name__}')
        start = time.perf_counter()
        model.cache_teacher_targets(poses)
        print_log(f'TIPSyTrainLoop: the teacher\'s targets of {len(poses)} '
                  f'poses cached in {time.perf_counter() - start:.1f} s',
                  logger='current')

    def _start_distillation(self, model):
        from .curve_hook import TIPSyCurveHook
        emas = self._ema_hooks()
        rules = [h for h in self.runner.hooks
                 if isinstance(h, TIPSyCurveHook) and h.select is not None]
        if len(emas) + len(rules) + (self.teacher is not None) > 1:
            raise RuntimeError('TIPSyTrainLoop: more than one of teacher=, '
                               'EMAHook and TIPSyCurveHook(select=...); which '
                               'one picks the teacher is unclear')
        if self.teacher is not None:
            source = copy.deepcopy(model.lifter)
            source.load_state_dict(lifter_state(
                load_local_checkpoint(self.teacher, map_location='cpu'),
                self.teacher))
            how = f'the lifter of {self.teacher}'
        elif rules:
            iteration, state = rules[0].picked_lifter(self.runner)
            source = copy.deepcopy(model.lifter)
            source.load_state_dict(state)
            how = (f'the lifter at iteration {iteration}, picked by the '
                   f'stopping rule {rules[0].select!r}')
        elif emas:
            averaged = emas[0].ema_model
            source = averaged.module.lifter
            steps, interval = int(averaged.steps), averaged.interval
            how = (f'the {type(averaged).__name__} of the lifter '
                   f'({(steps - 1) // interval + 1 if steps else 0} '
                   f'snapshot(s), one every {interval} iteration(s))')
        else:
            source = model.lifter
            how = 'the lifter after the last adversarial epoch'
        model.start_distillation(source)
        print_log(f'TIPSyTrainLoop: distillation from epoch '
                  f'{self._epoch + 1}; the teacher is {how}',
                  logger='current')
