"""Write an output file whole or not at all."""
import contextlib
import os
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_output_path(path):
    """Yield a temporary path beside ``path``; move it into place only on success.

    An exception (or a kill) leaves no file at ``path`` that looks finished.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{path.name}.', suffix='.partial',
                               dir=path.parent)
    os.close(fd)
    # mkstemp makes the file 0600; give it the mode a plain open() would
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
