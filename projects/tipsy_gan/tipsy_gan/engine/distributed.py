"""Distributed training on machines without CUDA.

mmengine 0.10.7's ``pytorch`` launcher calls ``torch.cuda.set_device`` before
it starts the process group, which fails where there is no NVIDIA driver.
Starting the gloo process group first makes mmengine skip its own start
(``Runner.setup_env`` checks ``is_distributed()``).
"""
import torch
import torch.distributed as torch_dist
# mmengine's registry, not MMPose's child: Runner.wrap_model looks the
# wrapper type up in mmengine's root registry
from mmengine.registry import MODEL_WRAPPERS


def init_process_group_without_cuda(cfg) -> bool:
    """Start a gloo process group from torchrun's environment when there is
    no CUDA; returns whether it did.

    It also gives ``cfg`` a CPU model wrapper if it names none: mmengine's
    default DDP passes ``device_ids=[LOCAL_RANK]``, which DDP refuses for a
    CPU module.
    """
    if (cfg.launcher != 'pytorch' or torch.cuda.is_available()
            or torch_dist.is_initialized()):
        return False
    torch_dist.init_process_group(backend='gloo')
    if cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(
            type='MMDistributedDataParallel', device_ids=None,
            broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
    return True


def finish_process_group() -> None:
    """Wait for every rank, then destroy the process group.

    Without this, gloo's worker threads are still alive when the interpreter
    exits and a rank can die with SIGABRT ("terminate called without an
    active exception") after training has finished.
    """
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.barrier()
        torch_dist.destroy_process_group()


@MODEL_WRAPPERS.register_module()
class TIPSyEvaluationWrapper(torch.nn.Module):
    """The model wrapper for distributed evaluation (``tools/test.py``).

    Evaluation needs no gradient synchronisation, and DDP refuses models
    without trainable parameters (the zero-depth reference). Each rank runs
    its share of the test set; mmengine's evaluator gathers the results.
    """

    def __init__(self, module: torch.nn.Module):
        super().__init__()
        self.module = module

    def val_step(self, data):
        return self.module.val_step(data)

    def test_step(self, data):
        return self.module.test_step(data)

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)
