"""The validation protocol as a data option: research configs train on the
2D of S1, S5, S6, S7 and evaluate on S8 (docs/protocol.md); MMPose's own
Human36mDataset is unchanged."""
import numpy as np

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpose.datasets import Human36mDataset
from mmpose.registry import DATASETS

import tipsy_gan.mmpose_modules  # noqa: F401
from tipsy_gan.datasets.h36m_subjects import (RESEARCH_TRAIN_SUBJECTS,
                                              VALIDATION_SUBJECTS,
                                              subjects_of_images)
from tipsy_gan.evaluation.fast_eval import split_dataset_cfg
from tipsy_gan.paths import REPO_ROOT
from tipsy_gan.utils.epochs import averaging_iters

RESEARCH = REPO_ROOT / 'configs' / 'research' / 'tipsy_h36m_cpu_val.py'
FPS10 = 'annotation_body3d/fps10/'


def _with_root(dataset_cfg, data_root, **extra):
    return dict(dataset_cfg, data_root=f'{data_root}/', **extra)


@pytest.fixture(scope='module')
def train_subjects(converted_h36m):
    names = np.load(converted_h36m / FPS10 / 'h36m_train.npz')['imgname']
    return subjects_of_images(names)


def test_protocol_base_names_the_subjects_the_library_does():
    protocol = Config.fromfile(REPO_ROOT / 'configs' / '_base_' /
                               'h36m_validation_protocol.py')
    assert tuple(protocol.train_subjects) == RESEARCH_TRAIN_SUBJECTS
    assert tuple(protocol.val_subjects) == VALIDATION_SUBJECTS == ('S8', )


def test_research_training_data_has_no_s8_s9_or_s11_pose(converted_h36m,
                                                          train_subjects):
    init_default_scope('mmpose')
    cfg = Config.fromfile(RESEARCH)
    dataset = DATASETS.build(_with_root(cfg.train_dataloader.dataset,
                                        converted_h36m))
    assert type(dataset).__name__ == 'TIPSyPose2DDataset'
    subjects = train_subjects[dataset.frame_indices]
    assert set(subjects) == {'S1', 'S5', 'S6', 'S7'}
    assert len(dataset) == np.isin(train_subjects, RESEARCH_TRAIN_SUBJECTS).sum()
    # 759 iterations an epoch at 256: the teacher's average from 759 + 5
    assert len(dataset) // cfg.train_dataloader.batch_size == 759
    ema = {h.type: h for h in cfg.custom_hooks}['TIPSyEMAHook']
    assert averaging_iters(ema.begin_epochs, 759, ema.interval) == (764, 5)


def test_research_evaluation_data_is_exactly_s8(converted_h36m,
                                                train_subjects):
    init_default_scope('mmpose')
    cfg = Config.fromfile(RESEARCH)
    assert cfg.get('val_dataloader') is None  # S8 is scored by the test tools
    dataset = DATASETS.build(_with_root(cfg.test_dataloader.dataset,
                                        converted_h36m))
    paths = [dataset.get_data_info(i)['target_img_path'][0]
             for i in range(len(dataset))]
    assert set(subjects_of_images(paths)) == {'S8'}
    assert len(dataset) == (train_subjects == 'S8').sum()
    # fast_eval scores the same set, both splits
    for split in ('test', 'val'):
        assert split_dataset_cfg(cfg, split).subjects == ['S8']


def test_fast_eval_val_split_is_s8_even_where_val_dataloader_is_s9_s11():
    cfg = Config.fromfile(REPO_ROOT / 'configs' / 'tipsy_h36m_cpu_lifter.py')
    assert cfg.val_dataloader.dataset.ann_file.endswith('h36m_test.npz')
    val = split_dataset_cfg(cfg, 'val')
    assert val.ann_file == FPS10 + 'h36m_train.npz'
    assert val.subjects == ['S8'] and val.type == 'TIPSyHuman36mDataset'
    assert split_dataset_cfg(cfg, 'test').ann_file == FPS10 + 'h36m_test.npz'


def test_no_subjects_is_mmposes_human36m_dataset(converted_h36m):
    init_default_scope('mmpose')
    common = dict(ann_file=FPS10 + 'h36m_test.npz', seq_len=1, causal=True,
                  data_root=f'{converted_h36m}/', lazy_init=True,
                  test_mode=True)
    ours = DATASETS.build(dict(type='TIPSyHuman36mDataset', **common))
    mmpose = DATASETS.build(dict(type='Human36mDataset', **common))
    assert type(mmpose) is Human36mDataset and isinstance(ours, Human36mDataset)
    assert ours.sequence_indices == mmpose.sequence_indices
    s11 = DATASETS.build(dict(type='TIPSyHuman36mDataset', subjects=['S11'],
                              **common))
    names = mmpose.ann_data['imgname']
    assert s11.sequence_indices == [
        s for s in mmpose.sequence_indices
        if subjects_of_images(names[s])[0] == 'S11']


@pytest.mark.parametrize('subjects, message', [
    (['S8'], 'have no frame'),  # S8 is not in the test file
    (['s9'], 'names like'),
    ([], 'names like'),
])
def test_wrong_subjects_are_refused(converted_h36m, subjects, message):
    init_default_scope('mmpose')
    with pytest.raises(ValueError, match=message):
        DATASETS.build(dict(type='TIPSyHuman36mDataset', subjects=subjects,
                            ann_file=FPS10 + 'h36m_test.npz',
                            data_root=f'{converted_h36m}/', lazy_init=True))
