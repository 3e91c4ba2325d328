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
