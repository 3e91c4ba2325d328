import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import devicepkg  # noqa: E402


@pytest.fixture(params=devicepkg.BACKENDS)
def ul(request):
    """The device package on each CPython backend: ulab emulation, numpy, pure Python."""
    return devicepkg.use(request.param)
