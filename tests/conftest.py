import pytest

from ulearn_dev import devicepkg, tier3, vboards


@pytest.fixture(params=devicepkg.BACKENDS)
def ul(request):
    """The device package on each CPython backend: ulab emulation, numpy, pure Python."""
    return devicepkg.use(request.param)


@pytest.fixture(params=tier3.MATRIX, ids=tier3.cell_id)
def mp(request):
    """A fresh real interpreter with the device package at /lib/ulearn, for each
    (target, form) of tier3.MATRIX unless the test picks cells with ``tier3.on``.

    Fails under CI (env CI set) and skips elsewhere when the interpreter is not built.
    """
    target, form = request.param
    with tier3.start(target, form=form) as interp:
        yield interp


@pytest.fixture(scope="module", params=tier3.MATRIX, ids=tier3.cell_id)
def mp_module(request):
    """As ``mp``, one interpreter shared by a module's tests (they must leave it usable)."""
    target, form = request.param
    with tier3.start(target, form=form) as interp:
        yield interp


@pytest.fixture
def vboard(tmp_path):
    """A started virtual board (ulearn_host.vboard: MicroPython under QEMU) on the image
    tmp_path/"flash.img", stopped at teardown. Fails under CI (env CI set) and skips
    elsewhere when the firmware or QEMU is missing."""
    board = vboards.start(tmp_path)
    yield board
    board.stop()
