"""No checkpoint we load can run code (issue 21).

Two crafted files, each of which creates a marker file if anything executes
it, go to every entry point that loads a checkpoint: tools/test.py,
fast_eval, both demos, export, resume and the sensitivity tool. Each must
refuse the file by name and leave no marker.

- ``getattr``: a pickle that walks ``getattr`` from ``HistoryBuffer.__init__``
  to ``eval`` (the old allow-list let it through: the unit test below loads it
  with that allow-list rebuilt and sees the marker appear).
- config text: tensors and strings only, whose ``meta['cfg']`` is Python that
  writes the marker (export used to execute it with ``Config.fromstring``).
"""
import json
import os
import re
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch

from crafted_checkpoints import config_text_checkpoint, getattr_checkpoint
from tipsy_gan.paths import PUBLISHED_STUDENT, REPO_ROOT
from tipsy_gan.utils.checkpoint_compat import (UnsafeCheckpointError,
                                               load_local_checkpoint,
                                               mmengine_checkpoint_globals)
from tipsy_gan_helpers import small_h36m, tiny_config

LIFTER_CONFIG = REPO_ROOT / 'configs' / 'tipsy_h36m_cpu_lifter.py'
HRNET_CONFIG = REPO_ROOT / 'configs' / 'demo' / 'td-hm_hrnet-w32_coco-256x192.py'
# What each kind of file is refused with, wherever it is passed
REFUSALS = {
    'getattr': 'refused to load',
    # not code: a checkpoint that lacks the weights the network needs
    # (or, where the one lifter loader reads it, of the wrong kind for the
    # config: a TIPSyGAN checkpoint under a PoseLifter config)
    'config_text': 'lacks|has no backbone|not make a ResidualLifter|'
                   'is a training checkpoint, and .* builds a PoseLifter',
}


def test_the_old_allow_list_ran_the_payload(tmp_path):
    """The payload is real: with the real getattr and codecs.encode admitted
    (the old allow-list), loading it writes the marker."""
    import codecs

    marker = tmp_path / 'marker'
    path = getattr_checkpoint(tmp_path / 'evil.pth', marker,
                              {'state_dict': {'w': torch.ones(2)}})
    old = [g for g in mmengine_checkpoint_globals() if not isinstance(g, tuple)]
    with torch.serialization.safe_globals([*old, getattr, codecs.encode]):
        torch.load(path, weights_only=True)
    assert marker.read_text() == 'ran'


def test_our_loader_refuses_the_payload(tmp_path):
    marker = tmp_path / 'marker'
    path = getattr_checkpoint(tmp_path / 'evil.pth', marker,
                              {'state_dict': {'w': torch.ones(2)}})
    with pytest.raises(UnsafeCheckpointError,
                       match=r"evil\.pth.*getattr\(HistoryBuffer, '__init__'\)"):
        load_local_checkpoint(path)
    assert not marker.exists()


def test_the_stand_ins_refuse_other_uses(tmp_path):
    """The getattr stand-in gives HistoryBuffer's statistics methods only,
    and the encode stand-in latin-1 only."""
    stand_ins = {name: function for entry in mmengine_checkpoint_globals()
                 if isinstance(entry, tuple) for function, name in [entry]}
    get, encode = stand_ins['builtins.getattr'], stand_ins['_codecs.encode']
    from mmengine.logging.history_buffer import HistoryBuffer
    assert get(HistoryBuffer, 'mean') is HistoryBuffer.mean
    for obj, name in [(HistoryBuffer, '__init__'), (HistoryBuffer, 'update'),
                      (HistoryBuffer.mean, '__globals__'), (np, 'load')]:
        with pytest.raises(UnsafeCheckpointError):
            get(obj, name)
    assert encode('\xe9', 'latin1') == b'\xe9'
    for args in [('x', 'rot13'), ('x', 'zlib'), (b'x', 'latin1')]:
        with pytest.raises(UnsafeCheckpointError):
            encode(*args)


def test_a_real_training_checkpoint_still_loads(tmp_path):
    """HistoryBuffer and NumPy arrays, as mmengine saves them, still load."""
    from mmengine.logging import HistoryBuffer
    path = tmp_path / 'epoch_1.pth'
    torch.save({'meta': {'seed': np.int64(3), 'flip': np.arange(17),
                         'sigmas': np.array([])},
                'message_hub': {'log_scalars': {
                    'loss': HistoryBuffer([1.0, 0.5], [1, 1])}}}, path)
    loaded = load_local_checkpoint(path)
    assert loaded['message_hub']['log_scalars']['loss'].mean() == 0.75
    assert loaded['meta']['flip'].tolist() == list(range(17))


def test_a_truncated_checkpoint_is_named_corrupt(tmp_path):
    path = tmp_path / 'cut.pth'
    torch.save({'w': torch.ones(1000)}, path)
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(ValueError, match=r'cut\.pth.*corrupt or truncated'):
        load_local_checkpoint(path)


# ------------------------------------------------------------ entry points
@pytest.fixture(scope='module')
def setting(tmp_path_factory):
    """The small data, a tiny TIPSyGAN config, a 2D keypoints file."""
    data_root = small_h36m(tmp_path_factory)
    tmp = tmp_path_factory.mktemp('crafted')
    config = tiny_config(tmp / 'tiny.py', data_root, adversarial_epochs=1,
                         distillation_epochs=0)
    with np.load(data_root / 'annotation_body3d' / 'fps10' /
                 'h36m_test.npz') as data:
        keypoints = data['part'][0, :, :2].tolist()
    keypoints_file = tmp / 'keypoints.json'
    keypoints_file.write_text(json.dumps(
        [{'keypoints': keypoints, 'keypoint_scores': [1.0] * 17}]))
    image = tmp / 'frame.png'
    cv2.imwrite(str(image), np.zeros((64, 64, 3), np.uint8))
    return dict(data_root=data_root, config=config, keypoints=keypoints_file,
                image=image)


def entry_point_commands(setting, checkpoint, out):
    """What each entry point runs, as a user would call it."""
    root = f"{setting['data_root']}/"
    data = ['--cfg-options', f'test_dataloader.dataset.data_root={root}',
            'test_dataloader.dataset.indices=50']
    py = sys.executable
    return {
        'test': [py, 'tools/test.py', str(LIFTER_CONFIG), checkpoint,
                 '--work-dir', str(out / 'test'), *data],
        'fast_eval': [py, 'tools/analysis/fast_eval.py', str(LIFTER_CONFIG),
                      checkpoint, *data],
        'lift_2d_json': [py, 'demo/lift_2d_json.py', str(setting['keypoints']),
                         '--lifter-checkpoint', checkpoint,
                         '--out-dir', str(out / 'lift')],
        'image_to_3d': [py, 'demo/image_to_3d.py', str(HRNET_CONFIG), 'none',
                        '--input', str(setting['image']),
                        '--lifter-checkpoint', checkpoint,
                        '--out-dir', str(out / 'image')],
        'image_to_3d_2d_model': [py, 'demo/image_to_3d.py', str(HRNET_CONFIG),
                                 checkpoint, '--input', str(setting['image']),
                                 '--out-dir', str(out / 'image2d')],
        'export': [py, 'tools/export_student.py', checkpoint,
                   str(out / 'exported.pth')],
        'resume': [py, 'tools/train.py', str(setting['config']), '--resume',
                   checkpoint, '--work-dir', str(out / 'train')],
        'sensitivity': [py, 'tools/analysis/keypoint_sensitivity.py',
                        '--model', 'crafted', str(LIFTER_CONFIG), checkpoint,
                        '--data', str(setting['data_root'] / 'annotation_body3d'
                                      / 'fps10' / 'h36m_test.npz'),
                        '--max-poses', '8', '--out-dir',
                        str(out / 'sensitivity')],
    }


ENTRY_POINTS = ('test', 'fast_eval', 'lift_2d_json', 'image_to_3d',
                'image_to_3d_2d_model', 'export', 'resume', 'sensitivity')


@pytest.mark.parametrize('kind', sorted(REFUSALS))
@pytest.mark.parametrize('entry_point', ENTRY_POINTS)
def test_every_entry_point_refuses_a_crafted_checkpoint(setting, tmp_path,
                                                        kind, entry_point):
    marker = tmp_path / 'marker'
    if kind == 'getattr':
        base = load_local_checkpoint(PUBLISHED_STUDENT)
        checkpoint = getattr_checkpoint(tmp_path / 'crafted.pth', marker, base)
    else:
        checkpoint = config_text_checkpoint(tmp_path / 'crafted.pth', marker)
    command = entry_point_commands(setting, str(checkpoint), tmp_path)[
        entry_point]
    result = subprocess.run(command, capture_output=True, text=True,
                            cwd=REPO_ROOT, timeout=300,
                            env=dict(os.environ, OMP_NUM_THREADS='1'))
    output = result.stdout + result.stderr
    assert not marker.exists(), f'{entry_point} ran the payload'
    assert result.returncode != 0, output[-2000:]
    assert re.search(REFUSALS[kind], output), output[-3000:]
    assert not (tmp_path / 'exported.pth').exists()
