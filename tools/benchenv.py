"""Imported first by the benchmark scripts that tune over process pools
(``python tools/bench_X.py`` puts tools/ on sys.path): one BLAS thread per
process, set before numpy loads (multi-threaded BLAS made the many small
matrix products up to 50x slower, at random, on 2 cores); the repository and
tests/ on sys.path (tools.*, devicepkg); and the device package on numpy
before ulearn_host binds ``ulearn``, so there is one package instance."""
import os
import sys
from pathlib import Path

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

ROOT = Path(__file__).resolve().parents[1]
for _p in (str(ROOT / "tests"), str(ROOT)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import devicepkg  # noqa: E402

devicepkg.use("numpy")
