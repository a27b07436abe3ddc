"""One BLAS thread for the whole process, set once and never restored.

OpenBLAS's multi-threaded gemm splits a product differently with the thread count, so the
bytes of a training would depend on how many threads BLAS had at that moment; and the
setting is process-wide: a call that changed it and restored it afterwards (as the engine
once did) changed it under every other thread's training too (a web server trains several
sessions at once). So the first training or chart of a process pins BLAS to one thread for
good, and nothing changes it back: every training then gives the bytes it gives alone,
whatever runs beside it. With one thread the products also keep exact symmetry (identical
rows in, identical rows out). Parallel work uses threads over runs (:mod:`sim.train`) or
worker processes (:mod:`sim.serve`), not BLAS threads.
"""

from __future__ import annotations

import threading

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - threadpoolctl is in requirements.txt
    threadpool_limits = None

_lock = threading.Lock()
_done = False


def single_thread() -> None:
    """Pin BLAS to one thread for the rest of the process (idempotent and cheap after the
    first call)."""
    global _done
    if _done:
        return
    with _lock:
        if not _done and threadpool_limits is not None:
            threadpool_limits(limits=1, user_api="blas")  # kept: never restored
        _done = True
