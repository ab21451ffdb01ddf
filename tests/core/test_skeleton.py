from tipsy_gan.core import skeleton


def test_named_joint_indices_follow_the_joint_names():
    for index, name in enumerate(skeleton.H36M_JOINT_NAMES):
        assert getattr(skeleton, name.upper()) == index
