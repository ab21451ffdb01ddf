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


def finish_process_group() -> None:
    """Wait for every rank, then destroy the process group.

    Without this, gloo's worker threads are still alive when the interpreter
    exits and a rank can die with SIGABRT ("terminate called without an
    active exception") after training has finished.
    """
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.barrier()
        torch_dist.destroy_process_group()
