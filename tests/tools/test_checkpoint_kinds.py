"""A checkpoint of the wrong kind is refused by name, never scored with
random weights (issue 21): a student with renamed keys, the student under
the supervised config, a TIPSyGAN checkpoint missing part of its lifter.
And the smaller reliability items: checkpoints are written whole or not at
all, and the tools find the repository's data from any directory."""
import os
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpose.apis import init_model
from mmpose.registry import MODELS

import tipsy_gan.mmpose_modules  # noqa: F401
from tipsy_gan.apis.loading import load_lifter
from tipsy_gan.paths import PUBLISHED_STUDENT, REPO_ROOT
from tipsy_gan.utils.checkpoint_compat import load_local_checkpoint

init_default_scope('mmpose')
LIFTER_CONFIG = REPO_ROOT / 'configs' / 'tipsy_h36m_cpu_lifter.py'
SUPERVISED_CONFIG = REPO_ROOT / 'configs' / 'supervised_h36m_cpu.py'


@pytest.fixture
def renamed_student(tmp_path):
    """The published student with ``backbone.lifter.net.*`` renamed to
    ``backbone.*``: every key still under ``backbone.``."""
    checkpoint = load_local_checkpoint(PUBLISHED_STUDENT)
    checkpoint['state_dict'] = {
        k.replace('backbone.lifter.net.', 'backbone.'): v
        for k, v in checkpoint['state_dict'].items()}
    path = tmp_path / 'renamed.pth'
    torch.save(checkpoint, path)
    return path


def test_renamed_keys_are_refused_by_the_demo_loader(renamed_student):
    with pytest.raises(ValueError, match=r'lacks \d+ of the \d+ weights.*'
                       r'backbone\.lifter\.net\.stem.*Which config fits'):
        init_model(str(LIFTER_CONFIG), str(renamed_student), device='cpu')


def test_renamed_keys_are_refused_by_fast_eval(renamed_student):
    cfg = Config.fromfile(LIFTER_CONFIG)
    with pytest.raises(ValueError, match='lacks'):
        load_lifter(cfg, str(renamed_student))


def test_a_partial_tipsy_gan_checkpoint_is_refused():
    cfg = Config.fromfile(REPO_ROOT / 'configs' / 'tipsy_h36m_cpu.py')
    model = MODELS.build(cfg.model)
    state = model.state_dict()
    dropped = next(k for k in state if k.startswith('lifter.'))
    del state[dropped]
    with pytest.raises(ValueError, match=f'lacks 1 weights.*{dropped}'):
        MODELS.build(cfg.model).load_state_dict(state, strict=False)
    # a picked lifter (the lifter alone) is a complete kind
    lifter_only = {k: v for k, v in model.state_dict().items()
                   if k.startswith('lifter.')}
    MODELS.build(cfg.model).load_state_dict(lifter_only, strict=False)


def test_the_test_tool_refuses_the_student_under_the_supervised_config(
        converted_h36m, tmp_path):
    """It used to exit 0 and report MPJPE 482.6 mm for a random network."""
    out = tmp_path / 'metrics.json'
    result = subprocess.run(
        [sys.executable, 'tools/test.py', str(SUPERVISED_CONFIG),
         str(PUBLISHED_STUDENT), '--work-dir', str(tmp_path / 'work'),
         '--out', str(out), '--cfg-options',
         f'test_dataloader.dataset.data_root={converted_h36m}/',
         'test_dataloader.dataset.indices=100'],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=300,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert result.returncode != 0
    assert 'TIPSyResidualBackbone' in result.stderr
    assert 'tipsy_h36m_cpu_lifter.py' in result.stderr  # which config fits
    assert not out.exists()


# ------------------------------------------------- written whole or not at all
SAVE_UNDER_A_SIZE_LIMIT = """
import resource, signal, sys, torch
import tipsy_gan.mmpose_modules
from mmengine.runner.checkpoint import save_checkpoint
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write error, not a kill
resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))
try:
    save_checkpoint({'state_dict': {'w': torch.zeros(1 << 20)}}, sys.argv[1])
except OSError as error:
    print('failed:', error)
    sys.exit(3)
"""


def test_a_checkpoint_write_that_fails_leaves_no_file(tmp_path):
    """mmengine writes epoch_N.pth in place; a write cut off at 1 MiB used
    to leave a 1 MiB half-file under the final name."""
    path = tmp_path / 'epoch_1.pth'
    result = subprocess.run([sys.executable, '-c', SAVE_UNDER_A_SIZE_LIMIT,
                             str(path)], capture_output=True, text=True)
    assert result.returncode == 3, result.stdout + result.stderr
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left either


def test_a_checkpoint_write_that_succeeds_is_whole(tmp_path):
    from mmengine.runner.checkpoint import save_checkpoint
    path = tmp_path / 'epoch_1.pth'
    save_checkpoint({'state_dict': {'w': torch.arange(5.0)}}, str(path))
    assert torch.equal(load_local_checkpoint(path)['state_dict']['w'],
                       torch.arange(5.0))
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~_umask()


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


# --------------------------------------------------- from another directory
def test_the_tools_find_the_repository_data_from_another_directory(
        converted_h36m, tmp_path):
    if converted_h36m.resolve() != (REPO_ROOT / 'data' / 'h36m').resolve():
        pytest.skip('TIPSY_H36M_DIR moves the data out of the repository')
    zero_depth = REPO_ROOT / 'configs' / 'reference' / 'zero_depth_h36m.py'
    for tool, config, checkpoint in [
            ('tools/test.py', zero_depth, 'none'),
            ('tools/analysis/fast_eval.py', LIFTER_CONFIG, PUBLISHED_STUDENT)]:
        result = subprocess.run(
            [sys.executable, str(REPO_ROOT / tool), str(config),
             str(checkpoint), '--cfg-options',
             'test_dataloader.dataset.indices=50',
             *(['--work-dir', str(tmp_path / 'w')] if 'test' in tool else [])],
            capture_output=True, text=True, cwd=tmp_path, timeout=300,
            env=dict(os.environ, OMP_NUM_THREADS='1'))
        assert result.returncode == 0, (tool, result.stderr[-2000:])


def test_missing_data_names_both_places(tmp_path):
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / 'tools' / 'test.py'),
         str(REPO_ROOT / 'configs' / 'reference' / 'zero_depth_h36m.py'),
         'none', '--work-dir', str(tmp_path / 'w'), '--cfg-options',
         'test_dataloader.dataset.data_root=nowhere/'],
        capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert result.returncode != 0
    assert 'repository root' in result.stderr and str(tmp_path) in \
        result.stderr, result.stderr[-2000:]



# ------------------------------------------ the one loader, every kind
TINY = ("model = dict(type='TIPSyGAN', lifter=dict(type='PartSplitLifter', "
        "width=16), student=dict(width=16))\n")


def _tiny_training_checkpoint(tmp_path, distilling=False):
    from tipsy_gan.models.tipsy_gan_model import TIPSyGAN
    torch.manual_seed(0)
    model = TIPSyGAN(lifter=dict(type='PartSplitLifter', width=16),
                     student=dict(width=16))
    for p in model.parameters():
        p.data.normal_()
    if distilling:
        model.start_distillation(model.lifter)
    path = tmp_path / f'epoch_{int(distilling)}.pth'
    torch.save(dict(state_dict=model.state_dict(), meta=dict(epoch=1)), path)
    config = tmp_path / 'tiny.py'
    config.write_text(TINY)
    return model.eval(), path, config


def test_every_kind_is_named_and_a_foreign_file_refused():
    from tipsy_gan.apis.loading import checkpoint_kind
    assert checkpoint_kind(load_local_checkpoint(PUBLISHED_STUDENT)) == \
        'pose_lifter'
    assert checkpoint_kind({'state_dict': {'lifter.x': 0}}) == 'training'
    assert checkpoint_kind({'state_dict': {'module.lifter.x': 0}}) == \
        'training'
    assert checkpoint_kind({'state_dict': {'lifter.x': 0}, 'meta': {
        'source': 'TIPSyCurveHook'}}) == 'picked'
    with pytest.raises(ValueError, match='none of the kinds.*blocks, stem'):
        checkpoint_kind({'state_dict': {'stem.w': 0, 'blocks.0.w': 0}})
    with pytest.raises(ValueError, match='not a checkpoint'):
        checkpoint_kind([1, 2])


def test_a_teacher_is_the_lifter_of_a_training_or_picked_checkpoint():
    from tipsy_gan.utils.checkpoint_kinds import lifter_state
    weights = {'module.lifter.a': 1, 'discriminator.b': 2, 'student.c': 3}
    assert lifter_state({'state_dict': weights}) == {'a': 1}
    assert lifter_state({'state_dict': {'lifter.a': 1}, 'meta': {
        'source': 'TIPSyCurveHook'}}) == {'a': 1}
    with pytest.raises(ValueError, match='pose_lifter checkpoint'):
        lifter_state(load_local_checkpoint(PUBLISHED_STUDENT), 'student.pth')


def test_the_loader_gives_the_network_each_kind_holds(tmp_path):
    from tipsy_gan.apis.loading import load_lifter
    model, path, config = _tiny_training_checkpoint(tmp_path)
    pose = torch.rand(8, 16, 2) * 2 - 1
    loaded = load_lifter(str(config), str(path))
    assert (loaded.kind, loaded.network) == ('training', 'lifter')
    torch.testing.assert_close(loaded.depth_network(pose), model.lifter(pose))
    with pytest.raises(ValueError, match='before it'):
        load_lifter(str(config), str(path), 'teacher')
    # after the switch, 'auto' is the student
    model, path, config = _tiny_training_checkpoint(tmp_path, True)
    loaded = load_lifter(str(config), str(path))
    assert loaded.network == 'student'
    torch.testing.assert_close(loaded.depth_network(pose),
                               model.student(pose))
    assert load_lifter(str(config), str(path), 'teacher').network == \
        'teacher'
    # a picked lifter holds the lifter only
    picked = tmp_path / 'picked_lifter.pth'
    torch.save(dict(state_dict={k: v for k, v in model.state_dict().items()
                                if k.startswith(('lifter.',
                                                 'discriminator.'))},
                    meta=dict(picked_iter=5, source='TIPSyCurveHook')),
               picked)
    loaded = load_lifter(str(config), str(picked))
    assert loaded.kind == 'picked' and 'iteration 5' in loaded.describe()
    torch.testing.assert_close(loaded.depth_network(pose), model.lifter(pose))
    with pytest.raises(ValueError, match='picked lifter.*no student'):
        load_lifter(str(config), str(picked), 'student')


def test_a_checkpoint_under_the_wrong_kind_of_config_is_refused(tmp_path):
    from tipsy_gan.apis.loading import load_lifter
    _, path, config = _tiny_training_checkpoint(tmp_path)
    with pytest.raises(ValueError, match='export the student first'):
        load_lifter(str(config), str(PUBLISHED_STUDENT))
    with pytest.raises(ValueError, match='training config, or export'):
        load_lifter(str(LIFTER_CONFIG), str(path))
    with pytest.raises(FileNotFoundError, match='not found'):
        load_lifter(str(config), str(tmp_path / 'missing.pth'))
    loaded = load_lifter(str(LIFTER_CONFIG), str(PUBLISHED_STUDENT))
    assert loaded.kind == 'pose_lifter'
    assert loaded.model.dataset_meta['num_keypoints'] == 17  # H36M, not COCO
    with pytest.raises(ValueError, match='student only, not a teacher'):
        load_lifter(str(LIFTER_CONFIG), str(PUBLISHED_STUDENT), 'teacher')
