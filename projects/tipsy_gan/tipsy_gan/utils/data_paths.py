"""Relative data paths in configs, from any working directory.

The configs name their data relative to the repository root
(``data/h36m/``), as MMPose's do. Run from elsewhere, a relative folder that
does not exist from there but does under the repository root is taken from
the repository; one found in neither place is reported with both places.
"""
import os.path as osp

from ..paths import REPO_ROOT

DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def _datasets(dataset):
    """A dataset config and those it wraps (ConcatDataset, RepeatDataset)."""
    if not isinstance(dataset, dict):
        return
    yield dataset
    for key in ('datasets', 'dataset'):
        inner = dataset.get(key)
        for child in inner if isinstance(inner, (list, tuple)) else [inner]:
            yield from _datasets(child)


def resolve_data_roots(cfg):
    """Make each dataset's relative ``data_root`` work from any directory.

    Raises:
        FileNotFoundError: a dataset's annotation file is in neither place,
            naming both and how to make or point at the data.
    """
    for loader in DATALOADERS:
        loader_cfg = cfg.get(loader)
        if not isinstance(loader_cfg, dict):
            continue
        for dataset in _datasets(loader_cfg.get('dataset')):
            root = dataset.get('data_root')
            if not isinstance(root, str) or not root or osp.isabs(root):
                continue
            in_repo = osp.join(str(REPO_ROOT), root)
            if not osp.isdir(root) and osp.isdir(in_repo):
                dataset['data_root'] = in_repo
                root = in_repo
            ann_file = dataset.get('ann_file')
            if isinstance(ann_file, str) and ann_file and not osp.isabs(
                    ann_file) and not osp.isfile(osp.join(root, ann_file)):
                raise FileNotFoundError(
                    f'{loader}: annotation file {osp.join(root, ann_file)} '
                    f'not found. Relative data paths are read from the '
                    f'current directory ({osp.abspath(".")}) or else from the '
                    f'repository root ({REPO_ROOT}); it is in neither. '
                    'Convert Human3.6M first (tools/dataset_converters/'
                    'h36m_expmap_to_mmpose.py, docs/data.md) or set '
                    f'--cfg-options {loader}.dataset.data_root=DIR')
    return cfg
