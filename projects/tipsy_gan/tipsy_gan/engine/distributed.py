"""Distributed training on machines without CUDA.

mmengine 0.10.7's ``pytorch`` launcher calls ``torch.cuda.set_device`` before
it starts the process group, which fails where there is no NVIDIA driver.
Starting the gloo process group first makes mmengine skip its own start
(``Runner.setup_env`` checks ``is_distributed()``).
"""
import torch
import torch.distributed as torch_dist


def init_process_group_without_cuda(launcher: str) -> bool:
    """Start a gloo process group from torchrun's environment when there is
    no CUDA; returns whether it did."""
    if (launcher != 'pytorch' or torch.cuda.is_available()
            or torch_dist.is_initialized()):
        return False
    torch_dist.init_process_group(backend='gloo')
    return True
