"""tools/train.py runs TIPSy's adversarial then distillation stage and
tools/test.py evaluates the result; a killed run resumes to bit-identical
weights (hence metrics) as an uninterrupted one."""
import json
from pathlib import Path

import pytest
import torch

from tipsy_gan.utils.checkpoint_compat import load_local_checkpoint
from tipsy_gan_helpers import run_tool, small_h36m, tiny_config

# The weight average spans the simulated kill (after epoch 1), so resuming
# must restore the partial average, the optimisers and the step's RNG.
AVERAGING = ("dict(type='EMAHook', ema_type='StochasticWeightAverage', "
             "begin_epoch=1, update_buffers=True)")
LOSS_KEYS = ('d_loss', 'd_real', 'd_fake', 'g_loss', 'g_adversarial',
             'g_depth_abs', 'g_reprojection_legs', 'g_ninety_torso', 's_loss')


@pytest.fixture(scope='module')
def config(tmp_path_factory):
    data_root = small_h36m(tmp_path_factory)
    path = tmp_path_factory.mktemp('tipsy_cfg') / 'tiny_tipsy.py'
    return tiny_config(path, data_root, averaging=AVERAGING)


def train(config, work_dir, *extra):
    result = run_tool('train.py', config, '--work-dir', work_dir,
                      '--no-validate', *extra)
    assert result.returncode == 0, result.stderr[-4000:]
    return result


def evaluate(config, checkpoint, work_dir):
    out = Path(work_dir) / 'metrics.json'
    result = run_tool('test.py', config, checkpoint, '--work-dir', work_dir,
                      '--out', out)
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(out.read_text())


def test_train_test_and_resume_after_a_kill(config, tmp_path):
    full = tmp_path / 'full'
    result = train(config, full)
    log = result.stdout + result.stderr
    assert ('TIPSyTrainLoop: 2 adversarial epoch(s), then 1 of '
            'distillation') in log
    assert ('distillation from epoch 3; the teacher is the '
            'StochasticWeightAverage of the lifter (16 snapshot(s), one every '
            '1 iteration(s))') in log
    for key in LOSS_KEYS:
        assert f' {key}: ' in log, key
    for epoch in (1, 2, 3):
        assert (full / f'epoch_{epoch}.pth').is_file()
    metrics = evaluate(config, full / 'epoch_3.pth', tmp_path / 'test_full')
    for key in ('PA-MPJPE', 'N-MPJPE'):
        assert 0 < metrics[key] < 1000, metrics
    assert any(k.startswith('PA-MPJPE_') for k in metrics)

    # "killed" after epoch 1, in the middle of the adversarial stage
    killed = tmp_path / 'killed'
    train(config, killed, '--cfg-options', 'train_cfg.adversarial_epochs=1',
          'train_cfg.distillation_epochs=0')
    assert not (killed / 'epoch_2.pth').exists()
    resumed = train(config, killed, '--resume')
    assert 'resumed epoch: 1' in resumed.stdout + resumed.stderr

    # Bit-identical weights, buffers (BN statistics, teacher, stage) and
    # RNG state: tools/test.py would print exactly the same metrics (a
    # second evaluation would add ~12 s and no information).
    expected = load_local_checkpoint(str(full / 'epoch_3.pth'))
    got = load_local_checkpoint(str(killed / 'epoch_3.pth'))
    assert expected['state_dict'].keys() == got['state_dict'].keys()
    for key in expected['state_dict']:
        assert torch.equal(expected['state_dict'][key],
                           got['state_dict'][key]), key
    key = 'tipsy_step_random_state'
    assert torch.equal(expected[key]['state'], got[key]['state'])


def test_distillation_alone_from_a_lifter_trained_before(config, tmp_path):
    """train_cfg.teacher with adversarial_epochs=0 distils a given lifter:
    the teacher is that file's lifter, weight for weight."""
    first = tmp_path / 'first'
    train(config, first, '--cfg-options', 'train_cfg.adversarial_epochs=1',
          'train_cfg.distillation_epochs=0')
    source = first / 'epoch_1.pth'
    distil = tmp_path / 'distil'
    result = train(config, distil, '--cfg-options',
                   'train_cfg.adversarial_epochs=0',
                   'train_cfg.distillation_epochs=1',
                   f'train_cfg.teacher={source}', 'custom_hooks=[]')
    log = result.stdout + result.stderr
    assert 'TIPSyTrainLoop: 0 adversarial epoch(s), then 1 of' in log
    assert f'the teacher is the lifter of {source}' in log
    lifter = {k[len('lifter.'):]: v for k, v in
              load_local_checkpoint(str(source))['state_dict'].items()
              if k.startswith('lifter.')}
    got = load_local_checkpoint(str(distil / 'epoch_1.pth'))['state_dict']
    assert bool(got['distilling'])
    for key, value in lifter.items():
        assert torch.equal(got[f'teacher.{key}'], value), key

    # A teacher beside an adversarial stage is ambiguous, and is refused.
    refused = run_tool('train.py', config, '--work-dir', tmp_path / 'no',
                       '--no-validate', '--cfg-options',
                       'train_cfg.distillation_epochs=1',
                       f'train_cfg.teacher={source}', 'custom_hooks=[]')
    assert refused.returncode != 0
    assert 'so adversarial_epochs must be 0' in refused.stderr
