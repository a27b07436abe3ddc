"""Trainings for many sessions at once: worker processes, one memory budget, one queue.

The web server asks :meth:`TrainingService.request` for a configuration and gets a
:class:`Ticket`. A configuration already trained is answered from the results cache; one
already training (another student opened the same link) shares that training; any other
joins a first-in, first-out queue. A queued training starts when a worker is free *and* its
memory fits the budget (``INITLAB_MEMORY``) beside what the server already holds, after the
least recently used cached results and charts are evicted to make room; until then the page
can say how many trainings are ahead and about how long they take (:meth:`position`). A
configuration that could never fit is refused (:meth:`check`).

Where trainings run (:class:`~sim.serve.settings.Settings`):

* ``local`` (the default): a pool of spawned worker processes, one per core, each with one
  BLAS thread; the web process only draws pages, so sessions no longer take turns on one
  Python lock while another core idles.
* ``dask``: a Dask cluster (``INITLAB_SCHEDULER``), to which this ``sim`` is shipped as the
  sweeps do; any number of worker machines.
* ``inline`` (``INITLAB_WORKERS=0``): a thread of the web process (the tests use it).

Every mode gives the same bytes: a training depends on its configuration alone
(:mod:`sim.blas`).
"""

from __future__ import annotations

import itertools
import logging
import math
import multiprocessing
import os
import shutil
import tempfile
import threading
import time
from collections import deque
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field

from sim.config import Config, ConfigError
from sim.cost import estimate_cost, training_bytes
from sim.serve import worker
from sim.serve.cache import SizedCache, nbytes_of
from sim.serve.settings import SettingError, Settings, format_bytes
from sim.train import Result

log = logging.getLogger("sim.serve")

#: Share of the budget the chart cache may hold at most (the rest: results and trainings).
CHART_SHARE = 0.125
#: Resident memory of an idle worker process (numpy and ``sim`` imported), reserved for
#: each worker before it exists; measured: 70-80 MB.
WORKER_BYTES = 100 * 1024**2
#: A worker process left holding more than this after its trainings (memory its allocator
#: keeps) is replaced when the pool is idle.
WORKER_RECYCLE_BYTES = 400 * 1024**2
#: Trainings estimated above this (seconds) report their progress to the page.
PROGRESS_SECONDS = 1.0
#: Trainings estimated above this (seconds) are long: they may hold all workers but one.
LONG_SECONDS = 3.0
#: What a worker adds to a training's estimate: the page's first charts (about 0.5 s).
PAGE_SECONDS = 0.5
#: A queued training nobody waits for any more is dropped after this (seconds): a session
#: that reruns while it waits (a student clicking again) keeps its place in the queue.
RELEASE_GRACE = 5.0
#: A long training kept waiting this long for memory holds the queue behind it (seconds),
#: so that a stream of short trainings cannot keep it waiting for ever.
MEMORY_HOLD_SECONDS = 10.0


class BudgetError(ConfigError):
    """A configuration this server's memory budget can never train (a setting the user can
    change, like every :class:`ConfigError`)."""


class ServiceClosed(RuntimeError):
    """The training service was closed (the server is stopping, or its caches were cleared)
    before this training finished."""

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _is_long(seconds: float) -> bool:
    """Whether a training estimated at ``seconds`` is long (:data:`LONG_SECONDS`)."""
    return seconds > LONG_SECONDS


def rss(pid: int) -> int:
    """Resident memory of process ``pid`` in bytes (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


@dataclass(eq=False)
class Ticket:
    """One training asked for, shared by every session that asked for its configuration."""

    key: str
    seconds: float  # estimated training time
    need: int  # bytes reserved while it trains (worker and web process)
    number: int = 0  # arrival order
    future: Future = field(default_factory=Future)
    started: float | None = None
    progress_path: str | None = None
    waiters: int = 0
    released_at: float | None = None  # when its last waiter let go (queued tickets)
    blocked_since: float | None = None  # waiting for memory since (long trainings)
    reason: str = "worker"  # what it waits for: "worker" or "memory"
    pool: object = None  # the executor it was submitted to
    fraction: float | None = None  # reported by a training in the web process

    def done(self) -> bool:
        return self.future.done()

    def result(self, timeout: float | None = None) -> Result:
        """The trained result (raises what the training raised; ``TimeoutError`` when it
        is not done within ``timeout`` seconds)."""
        return self.future.result(timeout)

    def progress(self) -> float:
        """Fraction done: what the worker reports, else the time since it started over its
        estimate (at most 0.95); 0 while queued."""
        if self.future.done():
            return 1.0
        if self.started is None:
            return 0.0
        if self.fraction is not None:
            return self.fraction
        if self.progress_path is not None:
            return min(max(worker.read_progress(self.progress_path), 0.0), 1.0)
        return min(0.95, (time.monotonic() - self.started) / max(self.seconds, 0.1))


class TrainingService:
    """Trains configurations for every session of a server (see the module docstring)."""

    def __init__(self, settings: Settings, progress_seconds: float = PROGRESS_SECONDS) -> None:
        self.settings = settings
        self.budget = settings.memory
        self.mode = "dask" if settings.scheduler else "local" if settings.workers else "inline"
        self.slots = max(1, settings.workers)
        self.progress_seconds = progress_seconds
        self._base = rss(os.getpid())  # the web process before any training
        self.charts = SizedCache(int(self.budget * CHART_SHARE))
        # The caches alone never take more than the budget leaves beside the idle server.
        workers = WORKER_BYTES * self.slots if self.mode == "local" else 0
        self.results = SizedCache(max(0, self.budget - self._base - workers
                                      - self.charts.capacity))
        self._lock = threading.RLock()
        self._queue: deque[Ticket] = deque()
        self._running: list[Ticket] = []
        self._tickets: dict[str, Ticket] = {}
        self._numbers = itertools.count()
        self._executor = None
        self._client = None
        self._tmp = tempfile.mkdtemp(prefix="initlab-progress-")
        self._closed = False
        if self.mode == "dask":
            self._client = _dask_client(settings.scheduler)
            self.slots = max(1, sum(self._client.nthreads().values()))

    def warm(self) -> None:
        """Start the worker processes now (they import numpy and ``sim``, about a second),
        so that the first page does not wait for them."""
        if self.mode == "local":
            with self._lock:
                pool = self._pool()
                for _ in range(self.slots):
                    _spawning_submit(pool, worker.ping)

    # ------------------------------------------------------------------ public
    def need(self, cfg: Config) -> tuple[int, float]:
        """Bytes a training of ``cfg`` reserves while it trains, and its estimated seconds.

        A worker holds the result and its working arrays and writes the result to a file
        (:func:`sim.serve.worker.dump`: no copy), which the web process reads into one copy
        of the result. On a Dask cluster the web process receives the result (one copy, and
        one more for a moment while it is unpacked). Trained in the web process, only the
        working arrays and the result count."""
        seconds, _ = estimate_cost(cfg)
        peak, result_bytes = training_bytes(cfg)
        if self.mode == "inline":
            return peak, seconds
        if self.mode == "dask":  # the worker's memory is the cluster's
            return 2 * result_bytes, seconds
        return peak + result_bytes, seconds

    def check(self, cfg: Config) -> None:
        """Refuse a configuration that could not fit the budget even on an idle server, the
        web process as large as it is now without its caches (a :class:`BudgetError`, a
        :class:`ConfigError` naming the limit)."""
        need, _ = self.need(cfg)
        error = self._budget_error(need)
        if error is not None:
            raise error

    def _budget_error(self, need: int) -> BudgetError | None:
        """The refusal of a training that needs ``need`` bytes, if even an idle server
        (:meth:`_idle_server`) could not hold it beside itself; else None."""
        fixed = self._idle_server()
        if fixed + need <= self.budget:
            return None
        return BudgetError(
            f"This configuration needs about {format_bytes(need)} of memory to train; "
            f"this server's memory budget of {format_bytes(self.budget)} "
            f"(INITLAB_MEMORY) leaves {format_bytes(max(0, self.budget - fixed))} beside "
            f"what the server itself uses ({format_bytes(fixed)}): use fewer or smaller "
            "layers, fewer samples, runs or snapshots.")

    def request(self, cfg: Config) -> Ticket:
        """The ticket of ``cfg``'s training: done at once from the cache, shared with the
        same configuration in the queue or training, or a new one at the end of the queue.
        The caller must :meth:`release` it when it stops waiting."""
        key = cfg.to_json(indent=None)
        with self._lock:
            if self._closed:
                raise ServiceClosed("The training service is closed.")
            cached = self.results.get(key)
            if cached is not None:
                ticket = Ticket(key, 0.0, 0)
                ticket.future.set_result(cached)
                return ticket
            ticket = self._tickets.get(key)
            if ticket is None:
                self.check(cfg)
                need, seconds = self.need(cfg)
                ticket = Ticket(key, seconds, need, next(self._numbers))
                self._tickets[key] = ticket
                self._queue.append(ticket)
            ticket.waiters += 1
            ticket.released_at = None
            self._admit()
        return ticket

    def release(self, ticket: Ticket) -> None:
        """The caller no longer waits for ``ticket``. A queued training nobody asks for again
        within :data:`RELEASE_GRACE` seconds is dropped (a student who changed the setting
        again); a running one finishes and is cached."""
        with self._lock:
            ticket.waiters = max(0, ticket.waiters - 1)
            if ticket.waiters == 0 and ticket.started is None:
                ticket.released_at = time.monotonic()

    def _drop_released(self) -> None:
        """Drop the queued trainings released more than :data:`RELEASE_GRACE` seconds ago."""
        now = time.monotonic()
        for t in [t for t in self._queue if t.waiters == 0 and t.released_at is not None
                  and now - t.released_at > RELEASE_GRACE]:
            self._queue.remove(t)
            self._tickets.pop(t.key, None)
            t.future.cancel()

    def wait(self, ticket: Ticket, timeout: float) -> Result | None:
        """The result, or None if ``ticket`` is not done within ``timeout`` seconds (the
        queue is reconsidered: memory may have been freed)."""
        try:
            return ticket.result(timeout)
        except TimeoutError:
            with self._lock:
                self._admit()
            return None
        except CancelledError:
            raise ServiceClosed("The training service was closed before this training "
                                "started.") from None

    def position(self, ticket: Ticket) -> tuple[int, float]:
        """Trainings that start before ``ticket`` (running, or queued and started first; 0
        once it runs) and the estimated seconds until it is done, from the estimates of
        what runs and waits (:meth:`_schedule`)."""
        with self._lock:
            if ticket.started is not None or ticket.done():
                return 0, max(ticket.seconds * (1 - ticket.progress()), 0.0)
            plan = self._schedule()
            if ticket not in plan:
                return len(self._running), ticket.seconds
            start, finish = plan[ticket]
            ahead = len(self._running) + sum(1 for t, (s, _) in plan.items()
                                             if t is not ticket and s <= start
                                             and t.number < ticket.number)
            return ahead, finish

    def get_result(self, cfg: Config) -> Result:
        """Train ``cfg`` (or take it from the cache) and wait for it: no page, no queue
        messages."""
        ticket = self.request(cfg)
        try:
            while True:
                result = self.wait(ticket, 0.25)
                if result is not None:
                    return result
        finally:
            self.release(ticket)

    def memory_in_use(self) -> int:
        """Resident memory of the web process and its worker processes, in bytes."""
        return self._web_rss() + sum(rss(pid) for pid in self._worker_pids())

    def _web_rss(self) -> int:
        return rss(os.getpid())

    def _idle_server(self) -> int:
        """What the server would hold with no training running and both caches empty: the
        web process as it is now (its sessions, Streamlit's own caches) without the caches'
        bytes, and an idle worker's size for each worker."""
        web = max(self._base, self._web_rss() - self.charts.nbytes - self.results.nbytes)
        return web + (WORKER_BYTES * self.slots if self.mode == "local" else 0)

    def close(self) -> None:
        """Stop: every training not yet done fails with :class:`ServiceClosed` (its sessions
        ask the new service), the worker processes are stopped, and later requests are
        refused."""
        with self._lock:
            self._closed = True
            tickets = list(self._queue) + list(self._running)
            self._queue.clear()
            self._running.clear()
            self._tickets.clear()
            executor, self._executor = self._executor, None
        for t in tickets:
            if not t.future.done():
                t.future.set_exception(ServiceClosed("The training service was closed "
                                                     "before this training finished."))
        if executor is not None:
            _stop_pool(executor)
        if self._client is not None:
            self._client.close()
        shutil.rmtree(self._tmp, ignore_errors=True)

    # ------------------------------------------------------------------ the queue
    def _free(self) -> int:
        """Bytes the budget leaves beside what the server holds: the web process's resident
        memory (with the cached results and charts), and the workers' resident memory or,
        if more, what is reserved for them (an idle worker's size each, plus the whole
        estimate of every running training: it may not have grown to it yet)."""
        reserved = sum(t.need for t in self._running)
        if self.mode == "local":
            workers = max(sum(rss(pid) for pid in self._worker_pids()),
                          WORKER_BYTES * self.slots + reserved)
            return self.budget - max(self._web_rss(), self._base) - workers
        return self.budget - max(self.memory_in_use(), self._base) - reserved

    def _lane_full(self, long_running: int) -> bool:
        """Whether ``long_running`` long trainings hold all the workers long ones may hold:
        all but one, so that a class's short trainings never wait behind a few long ones."""
        return long_running >= max(1, self.slots - 1)

    def _admit(self) -> None:
        """Start queued trainings in order of arrival while a worker is free: a long one
        (:data:`LONG_SECONDS`) only while another worker stays free for short ones, and each
        only if its memory fits. A long training waiting for memory lets the short ones
        behind it start, for :data:`MEMORY_HOLD_SECONDS`, then holds the queue until it
        starts; a short one that does not fit holds the queue at once. When nothing runs,
        the least recently used cached charts and results are evicted to make room, and the
        first in line starts, or, if the web process has grown so much that it can no longer
        fit, fails with the :class:`BudgetError` its page shows."""
        if self._closed:
            return
        self._drop_released()
        now = time.monotonic()
        i = 0
        while i < len(self._queue) and len(self._running) < self.slots:
            ticket = self._queue[i]
            long_run = _is_long(ticket.seconds)
            if long_run and self._lane_full(sum(_is_long(t.seconds) for t in self._running)):
                ticket.reason = "worker"
                i += 1
                continue
            if ticket.need > self._free():
                if self._running:  # they will free their memory: wait for them
                    ticket.reason = "memory"
                    if not long_run:
                        return
                    ticket.blocked_since = ticket.blocked_since or now
                    if now - ticket.blocked_since > MEMORY_HOLD_SECONDS:
                        return
                    i += 1
                    continue
                self._make_room(ticket.need - self._free())
                if ticket.need > self._free():  # the web process has grown since check()
                    del self._queue[i]
                    self._tickets.pop(ticket.key, None)
                    ticket.future.set_exception(
                        self._budget_error(ticket.need)
                        or BudgetError("This configuration does not fit this server's "
                                       "memory budget (INITLAB_MEMORY) now."))
                    continue
            del self._queue[i]
            self._start(ticket)

    def _make_room(self, short: int) -> None:
        """Evict cached charts, then results, least recently used first, to free ``short``
        bytes, and hand the freed memory back to the system."""
        freed = self.charts.evict_to(max(0, self.charts.nbytes - short))
        if short > freed:
            self.results.evict_to(max(0, self.results.nbytes - (short - freed)))
        _trim()

    def _schedule(self) -> dict[Ticket, tuple[float, float]]:
        """When each queued training starts and ends, in seconds from now, if the estimates
        hold and memory does not hold anything back: :meth:`_admit`'s rules played forward."""
        now = 0.0
        running = [(max(t.seconds * (1 - t.progress()), 0.05), _is_long(t.seconds))
                   for t in self._running]
        queue = list(self._queue)
        plan: dict[Ticket, tuple[float, float]] = {}
        while queue:
            i = 0
            while i < len(queue) and len(running) < self.slots:
                t = queue[i]
                long_run = _is_long(t.seconds)
                if long_run and self._lane_full(sum(r[1] for r in running)):
                    i += 1
                    continue
                plan[t] = (now, now + t.seconds + PAGE_SECONDS)
                running.append((now + t.seconds + PAGE_SECONDS, long_run))
                del queue[i]
            if not running:
                break
            running.sort()
            now = max(now, running.pop(0)[0])
        return plan

    def _start(self, ticket: Ticket) -> None:
        ticket.started = time.monotonic()
        self._running.append(ticket)
        try:
            pool = self._pool() if self.mode != "dask" else None
            if self.mode == "local":
                if ticket.seconds > self.progress_seconds:  # a progress bar on the page
                    ticket.progress_path = os.path.join(self._tmp, f"{ticket.number}.progress")
                future = _spawning_submit(pool, worker.page_task, ticket.key,
                                          ticket.progress_path,
                                          os.path.join(self._tmp, f"{ticket.number}.result"))
            elif self.mode == "dask":
                future = self._client.submit(worker.page_task, ticket.key, None, pure=False)
            else:
                future = pool.submit(self._train_inline, ticket)
        except Exception as exc:  # noqa: BLE001 - a broken pool, no memory to spawn: tell
            self._running.remove(ticket)
            self._tickets.pop(ticket.key, None)
            self._drop_pool(self._executor)
            ticket.future.set_exception(exc)
            return
        ticket.pool = pool
        future.add_done_callback(lambda f, t=ticket: self._finished(t, f))

    def _train_inline(self, ticket: Ticket) -> Result:
        import sim  # looked up at call time: the tests spy on it

        cfg = Config.from_json(ticket.key)
        if ticket.seconds > self.progress_seconds:
            ticket.fraction = 0.0
            return sim.train_comparison(cfg, progress=lambda f: setattr(ticket, "fraction", f))
        return sim.train_comparison(cfg)

    def _finished(self, ticket: Ticket, future) -> None:
        figures: dict = {}
        try:
            result, error = future.result(), None
            if isinstance(result, str):  # a local worker's file
                path, result = result, None
                try:
                    result = worker.load(path)
                finally:
                    os.unlink(path)
            if isinstance(result, tuple):  # a worker's result and the page's first charts
                result, figures = result
        except BaseException as exc:  # noqa: BLE001 - handed to every waiting session
            result, error = None, exc
        for key, (value, nbytes) in figures.items():
            self.charts.put(key, value, nbytes)
        with self._lock:
            if ticket in self._running:
                self._running.remove(ticket)
            if self._tickets.get(ticket.key) is ticket:
                del self._tickets[ticket.key]
            if result is not None and not self._closed:
                self.results.put(ticket.key, result, nbytes_of(result))
            if error is not None and "BrokenProcessPool" in type(error).__name__:
                self._drop_pool(ticket.pool)  # a worker died (killed?): the next pool is new
            elif not self._running and self.mode == "local":
                self._recycle_idle_workers()
            self._admit()
        if ticket.progress_path is not None:
            try:
                os.unlink(ticket.progress_path)
            except OSError:
                pass
        if ticket.future.done():  # closed meanwhile
            return
        if error is not None:
            ticket.future.set_exception(error)
        else:
            ticket.future.set_result(result)

    # ------------------------------------------------------------------ workers
    def _pool(self):
        if self._executor is None:
            if self.mode == "local":
                self._executor = ProcessPoolExecutor(
                    max_workers=self.slots, mp_context=multiprocessing.get_context("spawn"),
                    initializer=worker.start, initargs=(os.getpid(),))
                _POOLS.add(self._executor)
            else:
                self._executor = ThreadPoolExecutor(max_workers=self.slots,
                                                    thread_name_prefix="initlab-train")
        return self._executor

    def _worker_pids(self) -> list[int]:
        executor = self._executor
        if self.mode != "local" or executor is None:
            return []
        return list(getattr(executor, "_processes", None) or {})

    def _recycle_idle_workers(self) -> None:
        """Replace an idle pool whose workers hold much more than an idle worker (memory
        their allocator kept after a large training): the budget counts resident bytes."""
        pids = self._worker_pids()
        if pids and max(rss(p) for p in pids) > WORKER_RECYCLE_BYTES:
            self._drop_pool(self._executor)

    def _drop_pool(self, pool) -> None:
        """Stop ``pool`` if it is the current one (the next training starts a new one)."""
        if pool is not None and pool is self._executor:
            self._executor = None
            _stop_pool(pool, wait=False)


_POOLS: set = set()  # the process pools alive, stopped at once when the server exits


def _stop_pool(pool, wait: bool = False) -> None:
    """Shut ``pool`` down without waiting for its running trainings: its worker processes
    are terminated (a training's result is no use to a server that closes it)."""
    _POOLS.discard(pool)
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        try:
            p.terminate()
        except (OSError, ValueError, AttributeError):
            pass
    if wait:
        for p in processes:
            p.join(5)


def _stop_all_pools() -> None:
    """At exit, before the process pools' own exit hook joins their running jobs (which
    kept a stopping server waiting for every training): stop them."""
    for pool in list(_POOLS):
        _stop_pool(pool)


try:  # run before concurrent.futures' own hook: these run in reverse order of registration
    threading._register_atexit(_stop_all_pools)  # type: ignore[attr-defined]
except (AttributeError, RuntimeError):  # pragma: no cover - another Python
    pass


def _trim() -> None:
    """Hand memory freed by evicted results back to the system: glibc keeps freed blocks
    for reuse otherwise, and the budget counts resident memory."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass


def _spawning_submit(executor, fn, *args):
    """``executor.submit`` with SIGINT blocked while it may spawn workers (a Ctrl-C of the
    server then never prints a traceback from a starting worker)."""
    from sim.sweep.execute import _spawning

    return _spawning(lambda task: executor.submit(fn, *task))(args)


def _dask_client(address: str):
    """A client of the Dask scheduler at ``address``, with this ``sim`` shipped to its
    workers (as the sweeps do; imported by each worker when a task needs it)."""
    from distributed import Client

    from sim.sweep.execute import _upload_code

    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise SettingError(
            f"INITLAB_SCHEDULER={address}: cannot reach the Dask scheduler ({exc}). Start one "
            f"with `dask scheduler` and workers with `dask worker {address}`, or unset "
            "INITLAB_SCHEDULER to train on this machine.") from None
    if client.run_on_scheduler(os.getpid) != os.getpid():
        # Workers import the uploaded sim (a scheduler in this process, as a test's
        # LocalCluster runs it, shares this process's own, and would replace it).
        _upload_code(client)
    return client


def describe(service: TrainingService) -> str:
    """One line about the service, for the server's log."""
    where = {"local": f"{service.slots} worker processes",
             "dask": f"the Dask cluster at {service.settings.scheduler} "
                     f"({service.slots} threads)",
             "inline": "the web process"}[service.mode]
    return (f"Init Lab trains on {where}; memory budget {format_bytes(service.budget)} "
            f"(INITLAB_MEMORY), of which the web process uses "
            f"{format_bytes(service._base)}; up to {math.floor(service.budget * CHART_SHARE / 1e6)}"
            " MB of cached charts.")
