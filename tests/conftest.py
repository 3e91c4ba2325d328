import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))  # tools/ (the MicroPython runner)
import devicepkg  # noqa: E402


@pytest.fixture(params=devicepkg.BACKENDS)
def ul(request):
    """The device package on each CPython backend: ulab emulation, numpy, pure Python."""
    return devicepkg.use(request.param)


@pytest.fixture
def vboard(tmp_path):
    """A virtual MicroPython board (tools/vboard) for mpremote, its flash in tmp_path/"flash".

    Skips when Node.js or the npm package is missing, except on CI (env CI set), where it fails.
    """
    from tools.mpvm import MicroPythonUnavailable
    from tools.vboard import VirtualBoard

    try:
        board = VirtualBoard(tmp_path / "flash")
    except MicroPythonUnavailable as e:
        if os.environ.get("CI"):
            pytest.fail(str(e))
        pytest.skip(str(e))
    with board:
        yield board
