"""Generators (lifters) and the 2D pose discriminator (paper §3.1, §3.4, appendix A.1).

Every lifter maps a root-centred, max-normalised 2D pose over the 16 non-root
joints, ``(B, 16, 2)``, to one depth per joint, ``(B, 16)`` in [-1, 1], and
describes which output positions each of its generators predicts in ``parts``
(name → positions in ``skeleton.NON_ROOT_JOINTS`` order), so that losses can
be computed per generator.

Activation: the paper says only "activation". We default to LeakyReLU(0.2),
the usual choice in GAN generators and discriminators (no dead units, gradients
for every input); ``activation='relu'`` gives Martinez et al.'s original.
Dropout defaults to 0: the adversarial and consistency losses are noisy enough,
and dropout would make the consistency targets depend on the dropout mask.

Normalisation (``norm``): 'batch' (the paper's BatchNorm, the default),
'layer' (LayerNorm over each pose's features) or 'none'. In train mode
BatchNorm couples the poses of a batch through its statistics, so a
derivative of the output with respect to one pose's input (the all-angle
consistency of eq. 15, ``core.consistency_terms``) also carries the other
poses' terms; with 'layer' or 'none' every pose is its own function. The
three build the same Linear layers in the same order at the same positions
(the norm layer sits where BatchNorm does; 'none' puts an ``nn.Identity``
there), so a seed gives the same Linear weights whatever the norm.
"""
import contextlib
import functools
from typing import Dict, Tuple

import torch
from torch import nn

from .skeleton import (H36M_JOINT_NAMES, LEG_JOINTS, NON_ROOT_JOINTS,
                       TORSO_JOINTS)

NUM_INPUT_JOINTS = len(NON_ROOT_JOINTS)
# Positions of each part's joints in the 16-joint (non-root) order.
LEG_POSITIONS = tuple(NON_ROOT_JOINTS.index(j) for j in LEG_JOINTS)
TORSO_POSITIONS = tuple(NON_ROOT_JOINTS.index(j) for j in TORSO_JOINTS)
ALL_POSITIONS = tuple(range(NUM_INPUT_JOINTS))


def make_activation(name='leaky_relu', negative_slope=0.2):
    if name == 'leaky_relu':
        return nn.LeakyReLU(negative_slope)
    if name == 'relu':
        return nn.ReLU()
    raise ValueError(
        f"activation must be 'leaky_relu' or 'relu', got {name!r}")


NORMS = ('batch', 'layer', 'none')


def make_norm(name, features):
    """The normalisation layer of a dense unit: BatchNorm1d, LayerNorm or
    Identity (``norm`` 'batch', 'layer', 'none')."""
    if name == 'batch':
        return nn.BatchNorm1d(features)
    if name == 'layer':
        return nn.LayerNorm(features)
    if name == 'none':
        return nn.Identity()
    raise ValueError(f'norm must be one of {NORMS}, got {name!r}')


def dense_layers(in_features, out_features, activation, dropout,
                 norm='batch'):
    """Linear-BN-act(-dropout): the unit that fig. 4's stem and blocks repeat
    (``norm`` replaces the BN, see the module docstring)."""
    layers = [
        nn.Linear(in_features, out_features),
        make_norm(norm, out_features),
        make_activation(activation),
    ]
    if dropout > 0:
        layers.append(nn.Dropout(dropout))
    return layers


class ResidualBlock(nn.Module):
    """Linear-BN-act-dropout, twice, plus the identity skip (Martinez et al.)."""

    def __init__(self, width, activation='leaky_relu', dropout=0.0,
                 norm='batch'):
        super().__init__()
        self.layers = nn.Sequential(
            *dense_layers(width, width, activation, dropout, norm),
            *dense_layers(width, width, activation, dropout, norm))

    def forward(self, x):
        return x + self.layers(x)


class ResidualMLP(nn.Module):
    """Linear-BN-act, ``num_blocks`` residual blocks, Linear (fig. 4).

    Returns the final layer's raw output; the caller applies tanh or sigmoid.
    """

    def __init__(self,
                 in_features,
                 out_features,
                 width=1024,
                 num_blocks=4,
                 activation='leaky_relu',
                 dropout=0.0,
                 norm='batch'):
        super().__init__()
        self.stem = nn.Sequential(
            *dense_layers(in_features, width, activation, dropout, norm))
        self.blocks = nn.Sequential(*[
            ResidualBlock(width, activation, dropout, norm)
            for _ in range(num_blocks)
        ])
        self.head = nn.Linear(width, out_features)

    def forward(self, x):
        return self.head(self.blocks(self.stem(x)))


class ResidualLifter(nn.Module):
    """One generator G (eq. 1): (B, J_in, 2) 2D → (B, J_out) depths in [-1, 1].

    The tanh bound matches the max-normalised input range (§3).
    """

    def __init__(self,
                 in_joints=NUM_INPUT_JOINTS,
                 out_joints=None,
                 width=1024,
                 num_blocks=4,
                 activation='leaky_relu',
                 dropout=0.0,
                 norm='batch'):
        super().__init__()
        self.in_joints = in_joints
        self.out_joints = in_joints if out_joints is None else out_joints
        self.net = ResidualMLP(2 * in_joints, self.out_joints, width,
                               num_blocks, activation, dropout, norm)

    def forward(self, pose_2d):
        return torch.tanh(self.net(pose_2d.flatten(1)))


class PoseDiscriminator(ResidualLifter):
    """D of §3.4: the generator's structure with one fewer residual block,
    over the whole 16-joint 2D pose, and one output without the tanh.

    ``forward`` returns D's raw output (B,): the logits under which the
    paper's sigmoid gives D(Y). The GAN loss (``core.gan_losses``) applies
    its own link, so BCE uses the stable BCE-with-logits and least squares
    the raw score. ``dropout`` 0.5 is the paper's authors' code.
    ``spectral_norm=True`` wraps every linear layer in
    ``torch.nn.utils.parametrizations.spectral_norm`` (Miyato et al. 2018),
    which bounds D's Lipschitz constant: a stabiliser, not in the paper.
    """

    def __init__(self,
                 num_joints=NUM_INPUT_JOINTS,
                 width=1024,
                 num_blocks=3,
                 activation='leaky_relu',
                 dropout=0.0,
                 norm='batch',
                 spectral_norm=False):
        super().__init__(num_joints, 1, width, num_blocks, activation,
                         dropout, norm)
        if spectral_norm:
            for module in list(self.net.modules()):
                if isinstance(module, nn.Linear):
                    torch.nn.utils.parametrizations.spectral_norm(module)

    def forward(self, pose_2d):
        return self.net(pose_2d.flatten(1)).squeeze(-1)


def part_positions(parts):
    """{name: positions in the 16 non-root joints} for a part split given as
    {name: Human3.6M joints (names or 17-joint indices)}; the parts must
    cover every non-root joint exactly once."""
    positions = {}
    for name, joints in parts.items():
        indices = [j if isinstance(j, int) else H36M_JOINT_NAMES.index(j)
                   for j in joints]
        if 0 in indices:
            raise ValueError(f'part {name!r} lists the root, which is not '
                             'lifted (it stays at the origin)')
        positions[name] = tuple(NON_ROOT_JOINTS.index(j) for j in indices)
    order = sorted(p for ps in positions.values() for p in ps)
    if order != list(ALL_POSITIONS):
        names = [H36M_JOINT_NAMES[j] for j in NON_ROOT_JOINTS]
        missing = sorted(set(names) - {names[p] for p in order})
        raise ValueError('the parts must cover the 16 non-root joints '
                         f'exactly once; missing {missing}, '
                         f'{len(order)} listed')
    return positions


class PartSplitLifter(nn.Module):
    """Part generators, each seeing only its own part's 2D joints and
    predicting only their depths (§3.1, eq. 1); the depths are put back in the
    16-joint order.

    ``parts``: {name: Human3.6M joints (names or 17-joint indices)}; default
    the paper's legs (hips, knees, ankles) and torso (the rest).
    """

    def __init__(self,
                 width=1024,
                 num_blocks=4,
                 activation='leaky_relu',
                 dropout=0.0,
                 parts=None,
                 norm='batch'):
        super().__init__()
        self.parts: Dict[str, Tuple[int, ...]] = part_positions(
            parts or {
                'legs': LEG_JOINTS,
                'torso': TORSO_JOINTS
            })
        order = [p for positions in self.parts.values() for p in positions]
        self.generators = nn.ModuleDict({
            name:
            ResidualLifter(len(positions), len(positions), width, num_blocks,
                           activation, dropout, norm)
            for name, positions in self.parts.items()
        })
        for name, positions in self.parts.items():
            self.register_buffer(f'_index_{name}',
                                 torch.tensor(positions, dtype=torch.long),
                                 persistent=False)
        # Where each of the 16 positions sits in the concatenated part outputs.
        self.register_buffer('_inverse_order',
                             torch.argsort(torch.tensor(order)),
                             persistent=False)

    def forward(self, pose_2d):
        depths = [
            generator(pose_2d.index_select(1, getattr(self, f'_index_{name}')))
            for name, generator in self.generators.items()
        ]
        return torch.cat(depths, dim=1).index_select(1, self._inverse_order)


class SoloLifter(nn.Module):
    """The baseline: one generator on all 16 joints (one part, 'pose')."""

    def __init__(self,
                 width=1024,
                 num_blocks=4,
                 activation='leaky_relu',
                 dropout=0.0,
                 norm='batch'):
        super().__init__()
        self.parts: Dict[str, Tuple[int, ...]] = {'pose': ALL_POSITIONS}
        self.generator = ResidualLifter(NUM_INPUT_JOINTS, NUM_INPUT_JOINTS,
                                        width, num_blocks, activation, dropout,
                                        norm)

    def forward(self, pose_2d):
        return self.generator(pose_2d)


NETWORK_DTYPES = (None, 'bfloat16', 'float16', 'auto')


def cpu_bf16_instructions():
    """The bf16 matrix instructions this CPU has, as torch's CPU probe
    reports them: a tuple of 'amx' (AMX tiles) and 'avx512_bf16'; empty on
    a CPU without them (AVX2 only, where bf16 is emulated and slower)."""
    probes = (('amx', '_is_amx_tile_supported'),
              ('avx512_bf16', '_is_avx512_bf16_supported'))
    found = []
    for name, probe in probes:
        check = getattr(torch.cpu, probe, None)
        if check is not None and check():
            found.append(name)
    return tuple(found)


@functools.lru_cache(maxsize=None)
def _auto_network_dtype(device_type):
    if device_type == 'cuda':
        return 'bfloat16' if torch.cuda.is_bf16_supported() else None
    if device_type == 'cpu':
        return 'bfloat16' if cpu_bf16_instructions() else None
    return None


def resolve_network_dtype(network_dtype, device):
    """The autocast dtype ``run_network`` uses for ``network_dtype`` on
    ``device``: 'auto' is 'bfloat16' where the device multiplies bf16 in
    hardware (a CUDA GPU with bf16, a CPU with AMX or AVX512-BF16) and None
    (float32) elsewhere; None, 'bfloat16' and 'float16' are themselves."""
    if network_dtype not in NETWORK_DTYPES:
        raise ValueError(f'network_dtype must be one of {NETWORK_DTYPES}, '
                         f'got {network_dtype!r}')
    if network_dtype != 'auto':
        return network_dtype
    return _auto_network_dtype(torch.device(device).type)


def describe_network_dtype(network_dtype, device):
    """One line for the run log: what ``network_dtype`` gives on ``device``
    and why."""
    resolved = resolve_network_dtype(network_dtype, device)
    text = f"network_dtype={network_dtype!r}: networks in " \
           f"{resolved or 'float32'} on {torch.device(device).type}"
    if network_dtype == 'auto' and torch.device(device).type == 'cpu':
        found = cpu_bf16_instructions()
        text += (f" (the CPU has {' and '.join(found)})" if found else
                 ' (the CPU has neither AMX nor AVX512-BF16)')
    return text


def run_network(network, x, network_dtype=None):
    """``network(x)``, under ``torch.autocast`` when ``network_dtype`` names
    a dtype ('auto': ``resolve_network_dtype``); the output comes back in
    ``x``'s dtype."""
    if network_dtype == 'auto':
        network_dtype = resolve_network_dtype(network_dtype, x.device)
    if network_dtype is None:
        return network(x)
    with torch.autocast(x.device.type, dtype=getattr(torch, network_dtype)):
        return network(x).to(x.dtype)


def batch_norm_layers(module):
    return [
        m for m in module.modules()
        if isinstance(m, nn.modules.batchnorm._BatchNorm)
    ]


@contextlib.contextmanager
def no_bn_stat_updates(module):
    """Forward passes inside keep using batch statistics in train mode but
    leave every BatchNorm's running statistics (and counter) untouched."""
    layers = batch_norm_layers(module)
    saved = [m.track_running_stats for m in layers]
    try:
        for m in layers:
            m.track_running_stats = False
        yield module
    finally:
        for m, flag in zip(layers, saved):
            m.track_running_stats = flag


def _elementary_batch_norm(layer, x):
    """``layer(x)`` for a BatchNorm1d from elementary ops, (B, C) input; the
    batch's statistics in train mode (biased variance, as BN normalises
    with), the running ones in eval. Never updates the running statistics."""
    if layer.training or layer.running_mean is None:
        mean, var = x.mean(0), x.var(0, unbiased=False)
    else:
        mean, var = layer.running_mean, layer.running_var
    y = (x - mean) * torch.rsqrt(var + layer.eps)
    return y * layer.weight + layer.bias if layer.affine else y


def _elementary_layer_norm(layer, x):
    """``layer(x)`` for a LayerNorm from elementary ops."""
    dims = tuple(range(-len(layer.normalized_shape), 0))
    mean = x.mean(dims, keepdim=True)
    var = x.var(dims, unbiased=False, keepdim=True)
    y = (x - mean) * torch.rsqrt(var + layer.eps)
    if layer.weight is not None:
        y = y * layer.weight
    return y + layer.bias if layer.bias is not None else y


@contextlib.contextmanager
def elementary_norms(module):
    """Inside, every BatchNorm1d and LayerNorm of ``module`` computes itself
    from elementary ops (mean, var, rsqrt): the same function (values equal
    up to rounding), and the same batch-statistics coupling in train mode.

    For derivatives of derivatives: PyTorch's fused norm kernels save the
    mean and inverse std without autograd history, so the backward of their
    forward-mode (JVP) formula treats them as constants and the parameter
    gradients of a JVP loss come out wrong (torch 2.14; the PyTorch issue
    class of pytorch/pytorch#196700; ``tests/core/test_consistency_terms``
    checks the gradients against a Jacobian built by reverse mode). Running
    statistics are not updated.
    """
    layers = [(m, _elementary_batch_norm) for m in batch_norm_layers(module)]
    layers += [(m, _elementary_layer_norm) for m in module.modules()
               if isinstance(m, nn.LayerNorm)]
    try:
        for m, fn in layers:
            m.forward = functools.partial(fn, m)
        yield module
    finally:
        for m, _ in layers:
            del m.forward


@contextlib.contextmanager
def frozen(module):
    """No gradients for ``module``'s parameters and no BN running-stat updates:
    it acts as a fixed function of its input (e.g. D in the generator step)."""
    params = list(module.parameters())
    saved = [p.requires_grad for p in params]
    try:
        for p in params:
            p.requires_grad_(False)
        with no_bn_stat_updates(module):
            yield module
    finally:
        for p, flag in zip(params, saved):
            p.requires_grad_(flag)


@contextlib.contextmanager
def eval_mode(module):
    """Temporarily switch ``module`` to eval mode (e.g. a frozen teacher)."""
    was_training = module.training
    try:
        module.eval()
        yield module
    finally:
        module.train(was_training)
