"""mmengine 0.10.7 checkpoints load on torch >= 2.6 without weights_only=False."""
import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import _load_checkpoint

import tipsy_gan.mmpose_modules  # noqa: F401  installs the loader
from tipsy_gan.utils.checkpoint_compat import load_local_checkpoint


def mmengine_like_checkpoint():
    return {
        'meta': {'epoch': 3, 'dataset_meta': {'flip_indices': np.arange(17)},
                 'seed': np.int64(0)},
        'state_dict': {'weight': torch.ones(2)},
        'message_hub': {'log_scalars': {'loss': HistoryBuffer([1.0, 0.5], [1, 1])},
                        'runtime_info': {'epoch': 3}},
    }


def test_mmengine_loads_its_checkpoint_through_our_loader(tmp_path):
    path = tmp_path / 'epoch_3.pth'
    torch.save(mmengine_like_checkpoint(), path)
    loaded = _load_checkpoint(str(path), map_location='cpu')
    assert loaded['meta']['epoch'] == 3
    assert torch.equal(loaded['state_dict']['weight'], torch.ones(2))
    assert loaded['message_hub']['log_scalars']['loss'].current() == 0.5


def test_other_torch_load_calls_stay_strict(tmp_path):
    path = tmp_path / 'arrays.pth'
    torch.save({'x': np.arange(3)}, path)
    with pytest.raises(Exception, match='[Ww]eights'):
        torch.load(path)


def test_arbitrary_code_is_still_refused(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'f': print}, path)  # any global outside the allow-list
    with pytest.raises(Exception, match='Unsupported global'):
        load_local_checkpoint(str(path))


def test_missing_checkpoint_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_local_checkpoint(str(tmp_path / 'nope.pth'))
