"""tools/train_standalone.py runs where mmcv and MMPose cannot be
imported, and writes a checkpoint that TIPSyGAN loads key for key and a
sharded float16 return form that checks itself."""
import json

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import tipsy_gan.mmpose_modules  # noqa: F401
from tipsy_gan.apis.loading import load_lifter
from standalone_helpers import (PAPER_CONFIG, read_log, run_standalone,
                                toy_pose_file)
from tipsy_gan.standalone import checkpoint as ckpt
from tipsy_gan.standalone.data import poses_to_device
from tipsy_gan.standalone.data import load_pose_file
from tipsy_gan.standalone.recipe import load_recipe
from tipsy_gan.standalone.trainer import Options, Trainer

torch.set_num_threads(1)


@pytest.fixture(scope='module')
def pose_file(tmp_path_factory):
    return toy_pose_file(tmp_path_factory.mktemp('poses'), 640, seed=0)


def test_a_tiny_run_without_mmpose_writes_loadable_checkpoints(
        pose_file, tmp_path):
    out = tmp_path / 'run'
    result = run_standalone(
        tmp_path, PAPER_CONFIG, '--data', pose_file, '--out-dir', out,
        '--device', 'cpu', '--width', 16, '--batch-size', 32,
        '--adversarial-steps', 6, '--distillation-steps', 4, '--log-every', 2,
        '--shard-mib', 0.02)
    assert result.returncode == 0, result.stderr[-4000:]
    log = read_log(out / 'train_log.jsonl')
    summary = log[-1]
    assert summary['event'] == 'summary'
    assert summary['adversarial_steps'] == 6
    assert summary['distillation_steps'] == 4
    assert 'StochasticWeightAverage' in summary['teacher']
    assert [r['iter'] for r in log if r['event'] == 'train'] == [2, 4, 6, 8,
                                                                 10]

    # the training checkpoint: weights_only, TIPSyGAN's keys exactly, and a
    # kind the one loader knows (the student lifts after the switch)
    checkpoint = ckpt.load_checkpoint(out / 'epoch_2.pth')
    init_default_scope('mmpose')
    cfg = Config.fromstring(checkpoint['meta']['cfg'], '.py')
    cfg.model.update(lifter=dict(width=16), discriminator=dict(width=16),
                     student=dict(width=16))
    from mmpose.registry import MODELS
    model = MODELS.build(cfg.model)
    model.load_state_dict(checkpoint['state_dict'], strict=True)
    assert bool(model.distilling)
    assert checkpoint['meta']['epoch'] == 2
    loaded = load_lifter(cfg, str(out / 'epoch_2.pth'))
    assert (loaded.kind, loaded.network) == ('training', 'student')

    # the return form: several shards here, each within the limit
    manifest = json.loads((out / 'tipsy_return.manifest.json').read_text())
    assert len(manifest['shards']) > 1
    assert all(s['bytes'] <= 0.02 * ckpt.MIB for s in manifest['shards'])
    payload = ckpt.read_return(out / 'tipsy_return.manifest.json')
    assembled = ckpt.assembled_checkpoint(payload)
    full = checkpoint['state_dict']
    for key, value in assembled['state_dict'].items():
        source = full['teacher.' + key[len('lifter.'):]] if \
            key.startswith('lifter.') else full[key]
        assert value.dtype == source.dtype and value.shape == source.shape
        if value.is_floating_point():
            assert torch.allclose(value, source, rtol=1e-3, atol=1e-4), key
        else:
            assert torch.equal(value, source), key
    assert not any(k.startswith('discriminator.') for k in assembled[
        'state_dict'])

    # a damaged shard is named
    shard = out / manifest['shards'][1]['name']
    raw = bytearray(shard.read_bytes())
    raw[10] ^= 1
    shard.write_bytes(bytes(raw))
    with pytest.raises(ckpt.ReturnFileError, match=shard.name):
        ckpt.read_return(out / 'tipsy_return.manifest.json')


def test_flops_per_step_scale_with_the_batch(pose_file):
    recipe = load_recipe(PAPER_CONFIG).with_width(16)
    poses = poses_to_device(load_pose_file(pose_file), 'cpu')
    flops = []
    for batch in (16, 32):
        recipe.batch_size = batch
        flops.append(Trainer(recipe, poses, Options()).count_flops())
    assert flops[1]['adversarial'] == 2 * flops[0]['adversarial'] > 0
    assert flops[1]['distillation'] == 2 * flops[0]['distillation'] > 0


def test_a_budget_plans_whole_epochs_and_scales_the_averaging(pose_file):
    recipe = load_recipe(PAPER_CONFIG).with_width(16)
    recipe.batch_size = 32  # 20 iterations an epoch
    poses = poses_to_device(load_pose_file(pose_file), 'cpu')
    records = []
    trainer = Trainer(recipe, poses, Options(max_minutes=10,
                                             adversarial_epochs=3,
                                             distillation_epochs=1,
                                             reserve_seconds=0,
                                             probe_steps=4),
                      emit=records.append)
    summary = trainer.run()
    plan = [r for r in records if r['event'] == 'budget_plan'][0]
    assert plan['adversarial_epochs'] == 3  # the cap: 10 minutes fit more
    assert summary['adversarial_steps'] == 60
    # SWA from epoch 300 of 600: the second half of 3 epochs
    assert plan['averaging_first_iter'] == summary['averaging_first_iter'] \
        == 30
    assert summary['averaging_updates'] == 30
    assert summary['distillation_steps'] == 20
