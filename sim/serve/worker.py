"""What a training worker runs: importable by spawned processes and Dask workers alike."""

from __future__ import annotations

import os
import pickle
import struct
import threading
import time
from typing import Any

from sim import blas
from sim.config import Config
from sim.train import Result


def start(parent: int | None = None) -> None:
    """A local worker process's initializer: Ctrl-C is the server's to handle (the worker
    was spawned with SIGINT blocked, see :func:`sim.sweep.execute._spawning`), one BLAS
    thread for the process's life, and an exit of its own when the server ``parent`` is gone
    (killed, out of memory), instead of training on for nobody."""
    from sim.sweep.execute import _ignore_sigint

    _ignore_sigint()
    blas.single_thread()
    if parent is not None:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True,
                         name="initlab-parent-watch").start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def ping() -> int:
    """Nothing: submitted to start a worker process early."""
    return os.getpid()


def train_task(config_json: str, progress_path: str | None = None) -> Result:
    """Train ``config_json``; the fraction done is written to ``progress_path`` (8 bytes, a
    float) when given, for the page's progress bar."""
    blas.single_thread()  # a Dask worker did not run start()
    import sim  # looked up at call time (tests spy on it when training in the web process)

    progress = None
    fd = None
    if progress_path is not None:
        fd = os.open(progress_path, os.O_WRONLY | os.O_CREAT, 0o600)

        def progress(fraction: float) -> None:
            os.pwrite(fd, struct.pack("d", fraction), 0)
    try:
        return sim.train_comparison(Config.from_json(config_json), progress=progress)
    finally:
        if fd is not None:
            os.close(fd)


def page_task(config_json: str, progress_path: str | None = None, out_path: str | None = None
              ) -> tuple[Result, dict[tuple, tuple[object, int]]] | str:
    """:func:`train_task`, then the charts and captions the page shows first
    (:func:`sim.charts.prebuilt.page_charts`) with their sizes, built here instead of in the
    web process. With ``out_path`` both are written there (:func:`dump`) and the path is
    returned: the web process then reads the arrays straight into place (:func:`load`)."""
    from sim.charts.prebuilt import page_charts
    from sim.serve.cache import nbytes_of

    result = train_task(config_json, progress_path)
    try:
        figures = {k: (v, nbytes_of(v)) for k, v in page_charts(result).items()}
    except Exception:  # noqa: BLE001 - the page builds them itself, and reports what fails
        figures = {}
    if out_path is None:
        return result, figures
    dump((result, figures), out_path)
    return out_path


def dump(obj: Any, path: str) -> None:
    """Write ``obj`` to ``path`` as pickle protocol 5 with its arrays out of band: each
    array's memory goes to the file as it is, with no copy of the whole in memory (a pickle
    in bytes, as a process pool sends results, would hold one more copy of every array
    here and two in the web process)."""
    buffers: list[pickle.PickleBuffer] = []
    meta = pickle.dumps(obj, protocol=5, buffer_callback=buffers.append)
    with open(path, "wb") as f:
        f.write(struct.pack("<QQ", len(meta), len(buffers)))
        f.write(meta)
        for buffer in buffers:
            raw = buffer.raw()
            f.write(struct.pack("<Q", raw.nbytes))
            f.write(raw)


def load(path: str) -> Any:
    """What :func:`dump` wrote: each array read straight into its own new memory."""
    with open(path, "rb") as f:
        n_meta, n_buffers = struct.unpack("<QQ", f.read(16))
        meta = f.read(n_meta)
        buffers = []
        for _ in range(n_buffers):
            (n,) = struct.unpack("<Q", f.read(8))
            buffer = bytearray(n)
            if f.readinto(buffer) != n:
                raise EOFError(f"{path}: the file ends inside an array")
            buffers.append(buffer)
    return pickle.loads(meta, buffers=buffers)


def read_progress(path: str) -> float:
    """The fraction written by :func:`train_task` (0 before the first write)."""
    try:
        with open(path, "rb") as f:
            data = f.read(8)
    except OSError:
        return 0.0
    return struct.unpack("d", data)[0] if len(data) == 8 else 0.0
