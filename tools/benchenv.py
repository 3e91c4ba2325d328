"""Imported first by the benchmark scripts that tune over process pools: one
BLAS thread per process, set before numpy loads (multi-threaded BLAS made the
many small matrix products up to 50x slower, at random, on 2 cores); and the
device package on numpy before ulearn_host binds ``ulearn``, so there is one
package instance."""
import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

from ulearn_dev import devicepkg  # noqa: E402

devicepkg.use("numpy")
