"""tools/analysis/time_to_accuracy.py: training seconds from mmengine's log
lines, set against the curve hook's points."""
import importlib.util

from tipsy_gan_helpers import REPO_ROOT

spec = importlib.util.spec_from_file_location(
    'time_to_accuracy', REPO_ROOT / 'tools' / 'analysis' /
    'time_to_accuracy.py')
tta = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tta)

LINE = ('12/05 00:21:51 - mmengine - INFO - Epoch(train) [{e}][{i:>3}/200]  '
        'generator.lr: 2.000000e-04  eta: 0:04:23  time: {t}  data_time: '
        '0.001  d_loss: 1.2\n')


def test_seconds_add_up_the_logged_step_times_across_epochs(tmp_path):
    work = tmp_path / 'run'
    (work / '20261205_000000').mkdir(parents=True)
    lines = [LINE.format(e=1, i=100, t=0.5), 'TIPSyCurveHook: slow eval\n',
             LINE.format(e=1, i=200, t=1.0), LINE.format(e=2, i=100, t=2.0),
             LINE.format(e=2, i=100, t=9.0)]  # a resumed run repeats a line
    (work / '20261205_000000' / '20261205_000000.log').write_text(
        ''.join(lines))
    (work / 'curve.csv').write_text(
        'iter,epoch,PA-MPJPE\n100,0.5,90.0\n150,0.75,80.0\n300,1.5,70.0\n'
        '350,1.75,65.0\n')
    rows = tta.curve(str(work), 'PA-MPJPE')
    # 100 steps at 0.5 s, 100 at 1.0 s, 100 at 2.0 s; 350 extends at 2.0 s
    assert rows == [(100, 50.0, 90.0), (150, 100.0, 80.0),
                    (300, 350.0, 70.0), (350, 450.0, 65.0)]
