"""mmengine's local file backend, writing each file whole or not at all.

mmengine 0.10.7 saves ``epoch_N.pth`` (and ``last_checkpoint``, JSON dumps)
through ``LocalBackend.put``, which opens the final name and writes into it:
a write that fails part-way (a full disk, a file-size limit, a kill) leaves a
half-file that ``--resume`` would pick. This backend writes to a temporary
file beside the target and renames it into place (``utils.atomic_write``).
"""
from mmengine.fileio import register_backend
from mmengine.fileio.backends import LocalBackend

from .atomic_write import atomic_output_path


class AtomicLocalBackend(LocalBackend):
    """``LocalBackend`` whose ``put`` and ``put_text`` are atomic."""

    def put(self, obj: bytes, filepath) -> None:
        with atomic_output_path(str(filepath)) as tmp_path:
            with open(tmp_path, 'wb') as f:
                f.write(obj)

    def put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
        with atomic_output_path(str(filepath)) as tmp_path:
            with open(tmp_path, 'w', encoding=encoding) as f:
                f.write(obj)


def install_atomic_local_backend():
    """Make mmengine write local files through :class:`AtomicLocalBackend`."""
    from mmengine.fileio import io
    register_backend('local', AtomicLocalBackend, force=True, prefixes='')
    # get_file_backend caches one instance per prefix: drop a plain one
    for key in [k for k in io.backend_instances if k.startswith(':')]:
        if not isinstance(io.backend_instances[key], AtomicLocalBackend):
            del io.backend_instances[key]
