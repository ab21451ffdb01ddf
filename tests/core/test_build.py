"""core.build.build_tipsy: the one builder both trainers call."""
import pytest
import torch

from tipsy_gan.core.build import COMPONENTS, build_component, build_tipsy
from tipsy_gan.core.gan_losses import BCEGANLoss
from tipsy_gan.core.geometry import Orthographic, Perspective
from tipsy_gan.core.priors import HandsForwardPrior


def test_defaults_are_the_papers():
    pieces = build_tipsy(dict(width=40))
    assert type(pieces.lifter).__name__ == 'PartSplitLifter'
    assert sorted(pieces.lifter.parts) == ['legs', 'torso']
    # D takes the lifter's width unless told otherwise
    assert {p.shape[0] for p in pieces.discriminator.parameters()
            if p.dim() == 2} >= {40}
    assert pieces.teacher is None and pieces.student is None
    assert isinstance(pieces.adversarial.projection, Orthographic)
    assert isinstance(pieces.adversarial.gan_loss, BCEGANLoss)
    assert pieces.adversarial.priors == () == pieces.adversarial.terms
    assert pieces.distillation.rotation_weight == 0
    assert pieces.sign_chooser is None and pieces.sign_choice_for == ()


def test_the_recipe_pieces_and_the_build_order():
    kwargs = dict(
        lifter=dict(width=16, norm='layer'), student=dict(width=16),
        projection=dict(type='Perspective', depth_offset=5.0),
        priors=[dict(type='HandsForwardPrior', weight=3.0),
                dict(type='KneeBendPrior', weight=0.0)],
        adversarial=dict(renormalize_views=True))
    torch.manual_seed(0)
    first = build_tipsy(**kwargs)
    torch.manual_seed(0)
    again = build_tipsy(**kwargs)
    assert isinstance(first.adversarial.projection, Perspective)
    # a prior of weight 0 is left out
    assert [type(p) for p in first.adversarial.priors] == [HandsForwardPrior]
    # the teacher is a frozen copy of the lifter, drawn before the student
    for a, b in zip(first.teacher.state_dict().values(),
                    first.lifter.state_dict().values()):
        assert torch.equal(a, b)
    assert not any(p.requires_grad for p in first.teacher.parameters())
    for name in ('lifter', 'discriminator', 'student'):
        for a, b in zip(getattr(first, name).state_dict().values(),
                        getattr(again, name).state_dict().values()):
            assert torch.equal(a, b), name


def test_bad_pieces_are_named():
    with pytest.raises(ValueError, match='WassersteinLoss'):
        build_tipsy(dict(width=16), gan_loss=dict(type='WassersteinLoss'))
    with pytest.raises(KeyError, match='arms'):
        build_tipsy(dict(width=16, parts=dict(arms=list(range(1, 17)))))
    with pytest.raises(ValueError, match='use_for'):
        build_tipsy(dict(width=16), sign_choice=dict(use_for=('labels', )))
    assert set(COMPONENTS) >= {'BoneProportionPrior', 'HandsForwardPrior',
                               'AllAngleConsistency', 'PartSignChooser'}
    assert type(build_component(dict(type='Orthographic'))) is Orthographic
