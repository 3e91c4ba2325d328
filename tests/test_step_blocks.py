"""The array kernels' SGD step makes a big layer's outer product g x^T a block of rows at a
time (at most 4 KB): on a 192 KB board a step of the 64 x 64 digits layer failed for want
of a free run of 16 KB with 76 KB free (tests/test_board_192k.py). Blocks or not, the
weights are the same, bit for bit."""
import numpy as np
import pytest

from ulearn_dev import devicepkg


def reference(W, U, b, u, g, x, rows, lr, mu):
    # the whole outer product at once, float32 as the kernels compute it
    W, b = W.copy(), b.copy()
    lg = np.float32(lr) * g
    d = lg[:rows, None] * x[None, :]
    if U is None:
        W[:rows] -= d
        b[:rows] -= lg[:rows]
        return W, None, b, None
    U, u = U.copy(), u.copy()
    U[:rows] *= np.float32(mu)
    U[:rows] += d
    W[:rows] -= U[:rows]
    u[:rows] *= np.float32(mu)
    u[:rows] += lg[:rows]
    b[:rows] -= u[:rows]
    return W, U, b, u


@pytest.mark.parametrize("backend", ["ulab", "numpy"])
@pytest.mark.parametrize("n_out, n_in, rows, mu", [(64, 64, 64, 0.5), (64, 64, 40, 0.5),
                                                   (50, 70, 50, 0.0), (10, 64, 7, 0.5)])
def test_a_step_in_blocks_gives_the_whole_steps_weights(backend, n_out, n_in, rows, mu):
    ul = devicepkg.use(backend)
    K = ul.backend.K
    rng = np.random.default_rng(n_out + rows)
    W, U = (rng.standard_normal((n_out, n_in)).astype(np.float32) for _ in range(2))
    b, u, g = (rng.standard_normal(n_out).astype(np.float32) for _ in range(3))
    x = rng.standard_normal(n_in).astype(np.float32)
    U, u = (None, None) if mu == 0.0 else (U, u)
    want = reference(W, U, b, u, g[:rows], x, rows, 0.02, mu)

    def arr(a):
        return None if a is None else K.np.array(a.tolist(), dtype=K.F)
    got = [arr(a) for a in (W, U, b, u)]
    biggest = [0]
    if backend == "ulab":
        from ulab import _counter
        record = _counter.record

        def spy(nbytes=0, ops=1):
            biggest[0] = max(biggest[0], nbytes)
            record(nbytes, ops)
        _counter.record = spy
    try:
        gin = K.step(*got, arr(g[:rows]), arr(x), rows, 0.02, mu, K.vec(n_in))
    finally:
        if backend == "ulab":
            _counter.record = record
    for a, w in zip(got, want):
        if w is not None:
            np.testing.assert_array_equal(np.array(K.tolist(a), np.float32).reshape(w.shape), w)
    assert np.allclose(K.tolist(gin), W[:rows].T @ g[:rows], rtol=1e-5, atol=1e-5)
    if backend == "ulab":
        from ulab._counter import HEADER_BYTES
        assert biggest[0] <= 4096 + HEADER_BYTES, biggest[0]
