"""tools/analysis/sign_diagnosis.py tells a torso mirrored alone, hands
behind the back and the actions they come from."""
import importlib.util
from pathlib import Path

import numpy as np

from tipsy_gan.core.skeleton import TORSO_JOINTS

TOOL = Path(__file__).parents[2] / 'tools' / 'analysis' / 'sign_diagnosis.py'


def tool():
    spec = importlib.util.spec_from_file_location('sign_diagnosis', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_torso_mirrored_alone_is_found_with_its_hands_and_actions():
    rng = np.random.default_rng(0)
    gt = rng.normal(size=(40, 17, 3)) * 0.2
    gt[:, 0] = 0
    pred = gt * 1.7  # another unit: the errors are after Procrustes
    mirrored = np.arange(40) < 10
    torso = list(TORSO_JOINTS)
    pred[np.ix_(mirrored, torso, [2])] *= -1
    paths = [f'S8/S8_{"Greeting" if m else "Walking"}_1.54138969_{i:06d}.jpg'
             for i, m in enumerate(mirrored)]
    report = tool().diagnose(pred, gt, paths)
    assert report['poses'] == 40
    assert report['best_flip_share'] == dict(none=0.75, legs=0.0,
                                             torso=0.25, both=0.0)
    assert report['part_flipped_share_by_action'] == dict(Greeting=1.0,
                                                          Walking=0.0)
    assert set(report['joint_pa_error_mm']) >= {'left_wrist', 'right_knee'}
    # only the mirrored torsos' hands change side
    hands = report['hands_in_front']
    labelled = hands['labels']
    assert hands['predicted'] != labelled
    same = tool().diagnose(gt.copy(), gt, paths)
    assert same['hands_in_front']['predicted'] == labelled
    assert same['best_flip_share']['none'] == 1.0
    assert max(same['joint_pa_error_mm'].values()) < 1e-6
