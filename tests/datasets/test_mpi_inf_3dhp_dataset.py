"""MPI-INF-3DHP test set: the annot_data.mat reader, the joint mapping, the
MMPose dataset on both sources (the official folder and MMPose's converter
npz), and bad input. No real 3DHP file was available: every file here is a
fixture in the published formats (tests/mpi_inf_3dhp_fixtures.py)."""
import importlib.util
import pickle
from pathlib import Path

import numpy as np
import pytest

import mpi_inf_3dhp_fixtures as fx
from tipsy_gan.core import skeleton
from tipsy_gan.datasets import mpi_inf_3dhp_files as files

TO_H36M = list(skeleton.H36M_FROM_MPI_INF_3DHP)


@pytest.fixture(scope='module')
def h36m_dir(converted_h36m):
    return converted_h36m


@pytest.fixture(scope='module')
def mixed(tmp_path_factory, h36m_dir):
    """TS1, TS3, TS5 as v7.3 (HDF5), TS2, TS4, TS6 as v5."""
    root = tmp_path_factory.mktemp('3dhp_mixed')
    return root, fx.write_test_set(root, h36m_dir)


# -- the joint mapping -------------------------------------------------------

def test_mapping_is_a_permutation_both_ways():
    forward = skeleton.H36M_FROM_MPI_INF_3DHP
    backward = skeleton.MPI_INF_3DHP_FROM_H36M
    assert sorted(forward) == list(range(17)) == sorted(backward)
    assert [forward[i] for i in backward] == list(range(17))
    assert [backward[i] for i in forward] == list(range(17))
    assert len(set(skeleton.MPI_INF_3DHP_TO_H36M_NAME.values())) == 17


def test_mapping_keeps_left_left_and_right_right():
    for name_3dhp, name_h36m in skeleton.MPI_INF_3DHP_TO_H36M_NAME.items():
        for side in ('left_', 'right_'):
            assert name_3dhp.startswith(side) == name_h36m.startswith(side)
    # through the index lists, and against MMPose's own 3DHP metadata
    from mmengine.config import Config
    import mmpose
    meta = Config.fromfile(
        Path(mmpose.__file__).parent / '.mim' / 'configs' / '_base_' /
        'datasets' / 'mpi_inf_3dhp.py').dataset_info['keypoint_info']
    mmpose_names = [meta[i]['name'] for i in range(17)]
    assert [n.replace('root', 'pelvis') for n in mmpose_names] == list(
        skeleton.MPI_INF_3DHP_JOINT_NAMES)
    for h36m_index, index_3dhp in enumerate(TO_H36M):
        h36m_name = skeleton.H36M_JOINT_NAMES[h36m_index]
        side_3dhp = skeleton.MPI_INF_3DHP_JOINT_NAMES[index_3dhp].split('_')[0]
        if h36m_name.split('_')[0] in ('left', 'right'):
            assert side_3dhp == h36m_name.split('_')[0]
    for left, right in skeleton.FLIP_PAIRS:  # pairs stay pairs
        assert (skeleton.MPI_INF_3DHP_JOINT_NAMES[TO_H36M[left]].replace(
            'left', 'right') == skeleton.MPI_INF_3DHP_JOINT_NAMES[
                TO_H36M[right]])
    assert TO_H36M[skeleton.ROOT] == skeleton.MPI_INF_3DHP_ROOT == 14


def test_the_fourteen_scored_joints():
    names = {skeleton.H36M_JOINT_NAMES[i]
             for i in skeleton.MPI_INF_3DHP_PCK_JOINTS}
    assert len(names) == 14
    assert not names & {'root', 'spine', 'neck_base'}


# -- the official intrinsics -------------------------------------------------

# MMPose's converter fits intrinsics by least squares to the real annot2 and
# annot3; MMPose 0.x ships its output for the real test set as
# tests/data/mpi_inf_3dhp/cameras_test.pkl: (fx, fy, cx, cy).
MMPOSE_0X_FITS = {
    'TS1': (1500.0686136, 1500.65909669, 1017.37948604, 1043.06282488),
    'TS2': (1503.77973781, 1501.26907511, 1015.23480352, 1038.67909337),
    'TS3': (1500.04070486, 1500.58952267, 1017.39231756, 1043.04639429),
    'TS4': (1499.92603168, 1500.75715079, 1017.36796027, 1042.98878177),
    'TS5': (1683.48255948, 1671.92724206, 939.92781685, 560.2072492),
    'TS6': (1683.97538349, 1672.6747943, 939.84826544, 560.11577863),
}


def test_official_intrinsics_match_fits_to_the_real_annotations():
    for name, fit in MMPOSE_0X_FITS.items():
        camera = files.camera_param(name)
        ours = (*camera['f'].ravel(), *camera['c'].ravel())
        tolerance = 5.0 if name == 'TS2' else 0.7  # TS2's fit is off for all
        assert np.abs(np.subtract(ours, fit)).max() < tolerance, name
        assert (camera['w'], camera['h']) == (
            (2048, 2048) if name <= 'TS4' else (1920, 1080))


# -- the reader --------------------------------------------------------------

def test_formats_are_detected_from_the_files(mixed):
    root, _ = mixed
    for name, expected in fx.MIXED_FORMATS.items():
        path = str(root / name / files.ANNOTATION_FILE)
        assert files.mat_file_format(path) == expected
    # the v7.3 fixture is refused by scipy the way a real v7.3 file is
    from scipy.io import loadmat
    with pytest.raises(NotImplementedError, match='HDF reader'):
        loadmat(str(root / 'TS1' / files.ANNOTATION_FILE))


def test_reader_recovers_the_poses_exactly(mixed):
    root, written = mixed
    sequences, missing = files.read_test_set(str(root))
    assert missing == [] and [s.name for s in sequences] == list(written)
    for seq in sequences:
        truth = written[seq.name]
        arrays, valid = truth['arrays'], truth['valid']
        assert seq.file_format == fx.MIXED_FORMATS[seq.name]
        assert seq.num_frames == fx.FRAMES[seq.name]
        for key in ('annot2', 'annot3', 'univ_annot3'):
            np.testing.assert_array_equal(
                getattr(seq, key), arrays[key][valid, 0][:, TO_H36M])
        np.testing.assert_array_equal(
            seq.activity_id, arrays['activity_annotation'][valid])
        # the Human3.6M poses the fixture started from, in mm
        np.testing.assert_allclose(seq.annot3,
                                   1000 * truth['poses_h36m'][valid],
                                   rtol=0, atol=1e-9)
        # projected with the official intrinsics
        np.testing.assert_allclose(seq.annot2,
                                   fx.project(seq.annot3, seq.camera),
                                   rtol=0, atol=1e-9)
        assert seq.image_names[0] == files.image_name(seq.name, valid[0])


def test_valid_frame_filtering(mixed):
    root, written = mixed
    seq = files.read_sequence(str(root), 'TS1')
    np.testing.assert_array_equal(seq.frame_indices, [0, 1, 2, 4, 5, 6, 8, 9])
    assert seq.image_names[:4] == ['TS1_000001.jpg', 'TS1_000002.jpg',
                                   'TS1_000003.jpg', 'TS1_000005.jpg']
    total = sum(len(w['valid']) for w in written.values())
    assert total == sum(fx.valid_pattern(n).sum() for n in fx.FRAMES.values())


def test_both_formats_read_the_same_arrays(tmp_path, h36m_dir):
    v73 = fx.write_test_set(tmp_path / 'a', h36m_dir, formats=fx.ALL_V73)
    v5 = fx.write_test_set(tmp_path / 'b', h36m_dir,
                           formats={n: 'v5' for n in files.TEST_SEQUENCES})
    for name in ('TS1', 'TS6'):
        a = files.read_sequence(str(tmp_path / 'a'), name)
        b = files.read_sequence(str(tmp_path / 'b'), name)
        assert (a.file_format, b.file_format) == ('v7.3', 'v5')
        for key in ('annot2', 'annot3', 'univ_annot3', 'activity_id',
                    'frame_indices'):
            np.testing.assert_array_equal(getattr(a, key), getattr(b, key))
    assert v73.keys() == v5.keys()


# -- bad input ---------------------------------------------------------------

def test_missing_folder_is_a_named_error_and_the_rest_is_read(tmp_path,
                                                               h36m_dir):
    fx.write_test_set(tmp_path, h36m_dir, skip=['TS4'])
    with pytest.raises(files.MissingSequenceError, match='TS4'):
        files.read_sequence(str(tmp_path), 'TS4')
    sequences, missing = files.read_test_set(str(tmp_path))
    assert missing == ['TS4']
    assert [s.name for s in sequences] == ['TS1', 'TS2', 'TS3', 'TS5', 'TS6']
    with pytest.raises(files.MissingSequenceError, match='none of'):
        files.read_test_set(str(tmp_path / 'nothing_here'))


@pytest.mark.parametrize('name', ['TS1', 'TS2'])  # v7.3 and v5
def test_missing_key_is_a_named_error(tmp_path, h36m_dir, name):
    def drop(seq, arrays):
        if seq == name:
            del arrays['univ_annot3']

    fx.write_test_set(tmp_path, h36m_dir, edit=drop)
    with pytest.raises(files.MissingAnnotationKeyError,
                       match=f"{name}.*'univ_annot3'"):
        files.read_sequence(str(tmp_path), name)
    with pytest.raises(files.MissingAnnotationKeyError):
        files.read_test_set(str(tmp_path))  # a damaged file stops the read


@pytest.mark.parametrize('name', ['TS3', 'TS4'])
def test_mismatched_frame_counts_are_a_named_error(tmp_path, h36m_dir, name):
    def cut(seq, arrays):
        if seq == name:
            arrays['activity_annotation'] = arrays['activity_annotation'][:-2]

    fx.write_test_set(tmp_path, h36m_dir, edit=cut)
    with pytest.raises(files.FrameCountMismatchError,
                       match='activity_annotation'):
        files.read_sequence(str(tmp_path), name)


def test_not_a_mat_file(tmp_path):
    (tmp_path / 'TS1').mkdir()
    (tmp_path / 'TS1' / files.ANNOTATION_FILE).write_bytes(b'\x00' * 16)
    with pytest.raises(files.AnnotationFormatError):
        files.read_sequence(str(tmp_path), 'TS1')


@pytest.mark.parametrize('file_format, damage', [
    ('v7.3', 'truncate'), ('v7.3', 'body'), ('v5', 'truncate')])
def test_a_corrupt_file_is_named_corrupt(tmp_path, h36m_dir, file_format,
                                         damage):
    """A damaged annot_data.mat is called corrupt, whichever reader trips:
    a cut file, or a v7.3 header whose HDF5 body is overwritten."""
    fx.write_test_set(tmp_path, h36m_dir,
                      formats={name: file_format for name in
                               files.TEST_SEQUENCES}, skip=['TS2', 'TS3',
                                                           'TS4', 'TS5', 'TS6'])
    path = tmp_path / 'TS1' / files.ANNOTATION_FILE
    data = bytearray(path.read_bytes())
    if damage == 'truncate':
        data = data[:len(data) // 2]
    else:  # the HDF5 signature after the 512-byte MATLAB header
        data[512:1024] = b'\xff' * 512
    path.write_bytes(bytes(data))
    with pytest.raises(files.AnnotationFormatError, match='corrupt'):
        files.read_sequence(str(tmp_path), 'TS1')


# -- the MMPose dataset ------------------------------------------------------

def _build(**kwargs):
    import tipsy_gan.mmpose_modules  # noqa: F401
    from mmpose.registry import DATASETS
    return DATASETS.build(dict(type='MpiInf3dhpDataset', test_mode=True,
                               **kwargs))


def test_dataset_from_the_official_folder(mixed):
    root, written = mixed
    dataset = _build(ann_file=str(root))
    valid = {name: w['valid'] for name, w in written.items()}
    assert len(dataset) == sum(len(v) for v in valid.values())
    meta = dataset.metainfo
    assert meta['missing_sequences'] == []
    assert meta['source_formats'] == fx.MIXED_FORMATS
    assert meta['flip_indices'][skeleton.LEFT_HIP] == skeleton.RIGHT_HIP
    info = dataset.get_data_info(0)
    truth = written['TS1']['arrays']
    np.testing.assert_allclose(info['keypoints'][0],
                               truth['annot2'][0, 0][TO_H36M], rtol=1e-6)
    # metres, the universal skeleton, every joint scored
    np.testing.assert_allclose(info['lifting_target'][0],
                               truth['univ_annot3'][0, 0][TO_H36M] / 1000,
                               rtol=1e-6)
    assert info['lifting_target_visible'].all()
    assert (info['sequence'], info['scene']) == ('TS1', 'GS')
    assert info['activity'] == 'StandWalk'
    assert info['camera_param']['f'][0, 0] == pytest.approx(1500.172288)
    last = dataset.get_data_info(len(dataset) - 1)
    assert (last['sequence'], last['scene']) == ('TS6', 'outdoor')
    annot3 = _build(ann_file=str(root), target_3d='annot3').get_data_info(0)
    np.testing.assert_allclose(annot3['lifting_target'][0],
                               truth['annot3'][0, 0][TO_H36M] / 1000,
                               rtol=1e-6)


def test_dataset_reports_a_missing_sequence(tmp_path, h36m_dir):
    fx.write_test_set(tmp_path, h36m_dir, skip=['TS5'])
    dataset = _build(ann_file=str(tmp_path))
    assert dataset.metainfo['missing_sequences'] == ['TS5']
    assert dataset.metainfo['sequences'] == ['TS1', 'TS2', 'TS3', 'TS4',
                                             'TS6']


def test_dataset_sequences_keep_human36m_conventions(mixed):
    root, written = mixed
    dataset = _build(ann_file=str(root), seq_len=3, causal=False)
    # windows of consecutive valid frames, never across two sequences
    expected = sum(len(w['valid']) - 2 for w in written.values())
    assert len(dataset) == expected
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        names = {files.sequence_of_image(p) for p in info['img_paths']}
        assert names == {info['sequence']}
        assert info['target_img_path'][0] == info['img_paths'][1]


def _run_mmpose_converter(data_root: Path, out_dir: Path):
    """MMPose 1.3.2's own converter (installed under mmpose/.mim), test set."""
    import mmpose
    path = (Path(mmpose.__file__).parent / '.mim' / 'tools' /
            'dataset_converters' / 'preprocess_mpi_inf_3dhp.py')
    spec = importlib.util.spec_from_file_location('mmpose_3dhp_converter',
                                                  path)
    converter = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(converter)
    converter.load_testset(str(data_root), str(out_dir))
    return out_dir / 'annotations'


def test_round_trip_through_mmposes_converter(tmp_path, h36m_dir):
    # the converter reads every TS<k> with h5py: v7.3 files
    written = fx.write_test_set(tmp_path / 'raw' / 'test', h36m_dir,
                                formats=fx.ALL_V73, images=True)
    annotations = _run_mmpose_converter(tmp_path / 'raw', tmp_path / 'out')
    npz = annotations / 'mpi_inf_3dhp_test_valid.npz'
    cameras = annotations / 'cameras_test.pkl'

    # the converter's intrinsics fit recovers the official ones
    with open(cameras, 'rb') as handle:
        fitted = pickle.load(handle)
    for name in files.TEST_SEQUENCES:
        for key in ('f', 'c'):
            np.testing.assert_allclose(fitted[name][key],
                                       files.camera_param(name)[key],
                                       rtol=1e-7)

    from_npz = _build(ann_file=str(npz), camera_param_file=str(cameras),
                      target_3d='annot3')
    direct = _build(ann_file=str(tmp_path / 'raw' / 'test'),
                    target_3d='annot3')
    assert len(from_npz) == len(direct) == sum(
        len(w['valid']) for w in written.values())
    for index in range(len(direct)):
        a, b = from_npz.get_data_info(index), direct.get_data_info(index)
        assert a['target_img_path'][0] == b['target_img_path'][0]
        assert a['sequence'] == b['sequence']
        np.testing.assert_allclose(a['keypoints'], b['keypoints'], rtol=1e-6)
        np.testing.assert_allclose(a['lifting_target'], b['lifting_target'],
                                   rtol=1e-6)
        assert a['camera_param']['name'] == b['camera_param']['name']
        # the converter writes no activities
        assert a['activity'] == files.UNKNOWN_ACTIVITY
        if b['sequence'] <= 'TS4':  # its in-image test assumes 2048 x 2048
            np.testing.assert_array_equal(a['keypoints_visible'],
                                          b['keypoints_visible'])

    # 2D detections in the files' (3DHP) joint order come out in Human3.6M's
    with np.load(npz) as data:
        np.save(tmp_path / 'det.npy', data['part'])
    detected = _build(ann_file=str(tmp_path / 'raw' / 'test'),
                      keypoint_2d_src='detection',
                      keypoint_2d_det_file=str(tmp_path / 'det.npy'))
    for index in (0, len(direct) - 1):
        np.testing.assert_allclose(detected.get_data_info(index)['keypoints'],
                                   direct.get_data_info(index)['keypoints'],
                                   rtol=1e-6)

    # its S is annot3: the universal skeleton must be asked of the folder
    with pytest.raises(files.MpiInf3dhpError, match='univ'):
        _build(ann_file=str(npz))


def test_converter_npz_with_a_missing_key(tmp_path):
    np.savez(tmp_path / 'bad.npz', imgname=np.array(['TS1_000001.jpg']),
             part=np.zeros((1, 17, 3)))
    with pytest.raises(files.MissingAnnotationKeyError, match="'S'"):
        _build(ann_file=str(tmp_path / 'bad.npz'), target_3d='annot3')
    np.savez(tmp_path / 'short.npz', imgname=np.array(['TS1_000001.jpg']),
             part=np.zeros((2, 17, 3)), S=np.zeros((1, 17, 4)))
    with pytest.raises(files.FrameCountMismatchError):
        _build(ann_file=str(tmp_path / 'short.npz'), target_3d='annot3')


def test_file_reader_needs_no_mmpose():
    from tipsy_gan_helpers import modules_imported_by, top_level
    loaded = modules_imported_by('tipsy_gan.datasets.mpi_inf_3dhp_files')
    bad = sorted(top_level(loaded) & {'mmcv', 'mmpose', 'mmengine'})
    assert not bad, bad
