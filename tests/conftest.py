import pytest

from tipsy_gan.paths import shared_dir


@pytest.fixture(scope='session')
def shared():
    path = shared_dir()
    if not path.is_dir():
        pytest.fail(f'shared data folder not found: {path} (set TIPSY_SHARED_DIR)')
    return path
