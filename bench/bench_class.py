"""Class benchmark: a class of simulated students on one real ``streamlit run dashboard.py``.

Run from the project root::

    python bench/bench_class.py                      # 30 students over 60 s (about 2 min)
    python bench/bench_class.py --students 6 --over 10
    python bench/bench_class.py --large              # plus 3 large configurations at the start
    INITLAB_MEMORY=3GB python bench/bench_class.py   # the server gets this environment
    python bench/bench_class.py --url http://localhost:8501 --pid 1234   # a running server
    python bench/bench_class.py --smoke              # seconds: 2 students, 1 change each,
                                                     # as the test suite runs it

The benchmark starts its own server (``python -m streamlit run dashboard.py --server.headless
true --server.port PORT --browser.gatherUsageStats false`` on a free port, with this process's
environment), waits for ``/_stcore/health``, opens one page to warm it up (imports, the default
page's training; not counted, ``--no-warmup`` skips it), runs the class, then stops the server
by its PID (terminate, then kill). ``--url`` targets a server that is already running instead;
its CPU and memory are measured only if ``--pid`` names its process.

Each student speaks Streamlit's own websocket protocol, as a browser does (no browser: one
asyncio loop runs the whole class, :class:`Session`): it connects to ``/_stcore/stream``, sends
a ``rerun_script`` with the link's query string (``--link``; the default page, an empty query,
without it) and waits for ``script_finished``: one *page time*, from sending the rerun to the
end of the run. After 2-5 s (seeded) it changes one sidebar control (:data:`MENU`: what a class
does in this lab: the activation, epochs, learning rate, hidden width, seeds, data seed, the
right-hand initialization), sending the complete widget state with that one value changed,
and waits for the rerun (another page time); ``--changes`` times (default 2), then it
disconnects. The draws repeat across students, so some pages are the training cache's hits
and others new configurations. Students arrive uniformly at random over ``--over`` seconds.

An error is an exception element in the page, an ``st.error`` of the dashboard's last line of
defence (``**Training ... failed``, ``**Drawing ... failed``), a run that does not finish
within ``--timeout`` seconds, or a dropped connection. Other ``st.error`` messages (a refused
link, say) are counted on their own line.

``--large`` adds 3 students who open large configurations at once at the start, by share link
(:func:`sim.share.config_to_params` of the default page with these changes; each accepted by
:meth:`sim.Config.from_dict` alone, i.e. under its 2 GB and 60 s estimates):

* 64 hidden layers of 477 units, 100 epochs (200 epochs: over 2 GB with 151 snapshots);
* 100,000 samples, one hidden layer of 244 units, 50 epochs (100: over 2 GB);
* 5 hidden layers of 2,048 units, 100 epochs (200: over 60 s).

Should a change of the estimates refuse one, its epochs are halved until it is accepted (the
printed line says how many). Their page times (queueing included, up to ``--large-timeout``)
are printed on their own; they count in the server's CPU and peak memory.

Printed, one line each: students, pages finished, errors, page time p50 / p95 / max, the
duration of the class, the **cores used by the server** (CPU seconds of the server process and
all its descendants, from ``/proc/PID/stat``: utime + stime of each live process, sampled every
0.2 s, plus cutime + cstime, which hold the children that exited; divided by the duration),
the cores it used while at least one page was waiting and while two or more were (two pages
can keep two cores busy; one page's steps run one after another), the **peak resident memory of its
process tree** (the sum of RSS over the tree, sampled every 0.2 s: pages shared between
processes, such as numpy's libraries, count once per process), the machine's busy cores
(``/proc/stat``, everything that ran, this benchmark included) and this load generator's own
CPU. ``--json FILE`` writes the same numbers. Linux only (``/proc``).

``--smoke`` is 2 students over 2 s, 1 change each, 0.5-1 s between pages, no ``--large``, 40 s
timeouts: every part above (server, warm-up, first page, a change, the measurements, the
table) in about 15 s. It exits with 1 if a page failed (the protocol would have changed); the
full benchmark prints its numbers and exits with 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, quote, urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streamlit.proto.Alert_pb2 import Alert  # noqa: E402
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402
from streamlit.proto.WidgetStates_pb2 import WidgetState  # noqa: E402
from tornado.websocket import websocket_connect  # noqa: E402

from sim import INITIALIZERS, PRESETS, Config, ConfigError  # noqa: E402
from sim.app.links import link_config  # noqa: E402
from sim.fields import FIELDS  # noqa: E402
from sim.presets import DEFAULT_PRESET  # noqa: E402
from sim.share import config_to_params  # noqa: E402

#: What a student changes: widget key -> the values drawn from. None of them is the default
#: page's value, so every change is one (with ``--link`` some may not be).
MENU: dict[str, tuple] = {
    "activation": ("tanh", "relu"),
    "epochs": (200, 1000, 2000),
    "lr": (0.5, 1.0, 5.0),
    "hidden": ("4", "16", "32", "8, 8"),
    "seeds": (3, 5),
    "data_seed": (1, 2),
    "right_scheme": ("he_normal", "lecun_normal", "orthogonal"),
}

#: The large configurations of ``--large``: changes to the default page (see the docstring).
LARGE: dict[str, dict] = {
    "64 x 477": {"hidden": [477] * 64, "epochs": 100},
    "100k samples, 244": {"n_samples": 100_000, "hidden": [244], "epochs": 50},
    "5 x 2048": {"hidden": [2048] * 5, "epochs": 100},
}

#: The dashboard's last line of defence (:func:`sim.app.guard.guarded`) starts its messages so.
FAILURES = ("**Training", "**Drawing")

SUBPROTOCOLS = ["streamlit", "PLACEHOLDER_AUTH_TOKEN"]  # the second: where a token would go
MAX_MESSAGE = 1 << 30  # tornado closes on a message over 10 MiB by default
SAMPLE_SECONDS = 0.2
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
FINISHED = ForwardMsg.ScriptFinishedStatus


# --------------------------------------------------------------------------------------------
# Measuring the server's process tree and the machine (/proc)
# --------------------------------------------------------------------------------------------


def proc_stat(pid: int) -> tuple[int, int, int, int] | None:
    """``(ppid, cpu ticks, rss bytes, start time)`` of a process, or None if it is gone.

    cpu ticks are utime + stime + cutime + cstime: the process and its children that
    exited and were waited for.
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    rest = data[data.rindex(b")") + 2:].split()  # rest[0] is field 3 (state)
    ticks = sum(int(x) for x in rest[11:15])  # fields 14-17
    return int(rest[1]), ticks, int(rest[21]) * PAGE_BYTES, int(rest[19])


def process_tree(root: int) -> dict[int, tuple[int, int, int, int]]:
    """:func:`proc_stat` of ``root`` and every descendant (one scan of /proc)."""
    stats = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = proc_stat(int(name))
            if st is not None:
                stats[int(name)] = st
    if root not in stats:
        return {}
    children: dict[int, list[int]] = {}
    for pid, st in stats.items():
        children.setdefault(st[0], []).append(pid)
    tree, todo = {}, [root]
    while todo:
        pid = todo.pop()
        tree[pid] = stats[pid]
        todo += children.get(pid, [])
    return tree


def machine_ticks() -> int:
    """Busy CPU ticks of the whole machine since boot, from /proc/stat (all but idle, iowait
    and steal, which is another machine's time)."""
    with open("/proc/stat") as f:
        values = [int(x) for x in f.readline().split()[1:9]]
    return sum(values) - values[3] - values[4] - values[7]


@dataclass
class Meter:
    """The server's tree (CPU, peak RSS) and the machine, sampled every 0.2 s, and the pages
    in flight (to count the CPU used while at least one page waited)."""

    pid: int | None
    inflight: int = 0
    max_inflight: int = 0
    waiting_throughout: bool = False  # since the last sample, always a page in flight
    cpu: float = 0.0  # seconds, the tree's, monotonic
    peak_rss: int = 0
    wait_cpu: float = 0.0
    wait_seconds: float = 0.0
    low: int = 0  # the fewest pages in flight since the last sample
    wait2_cpu: float = 0.0  # while two pages or more waited: both cores could be busy
    wait2_seconds: float = 0.0
    last_t: float | None = None
    last_tree: dict = field(default_factory=dict)

    def page_started(self) -> None:
        self.inflight += 1
        self.max_inflight = max(self.max_inflight, self.inflight)

    def page_done(self) -> None:
        self.inflight -= 1
        self.low = min(self.low, self.inflight)
        if self.inflight == 0:
            self.waiting_throughout = False

    def sample(self) -> None:
        now = time.perf_counter()
        if self.pid is not None:
            tree = process_tree(self.pid)
            if tree:
                self.last_tree = tree
                # Orphaned grandchildren leave the tree: never let the sum go back.
                cpu = max(self.cpu, sum(st[1] for st in tree.values()) / CLK_TCK)
                if self.last_t is not None and self.waiting_throughout:
                    self.wait_cpu += cpu - self.cpu
                    self.wait_seconds += now - self.last_t
                if self.last_t is not None and self.low >= 2:
                    self.wait2_cpu += cpu - self.cpu
                    self.wait2_seconds += now - self.last_t
                self.cpu = cpu
                self.peak_rss = max(self.peak_rss, sum(st[2] for st in tree.values()))
        self.last_t = now
        self.waiting_throughout = self.inflight > 0
        self.low = self.inflight

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.sample()
            try:
                await asyncio.wait_for(stop.wait(), SAMPLE_SECONDS)
            except asyncio.TimeoutError:  # not TimeoutError before Python 3.11
                pass
        self.sample()


# --------------------------------------------------------------------------------------------
# One browser session over Streamlit's websocket protocol
# --------------------------------------------------------------------------------------------


def widget_state(kind: str, p) -> WidgetState | None:
    """The value a browser holds for a widget just drawn, as it sends it back: the value
    the server set (``set_value``) or else the default. None for widgets without a value
    here (buttons, charts, ...): the server keeps their state."""
    ws = WidgetState(id=p.id)
    if kind in ("selectbox", "radio"):
        if p.set_value:
            if not p.HasField("raw_value"):
                return None
            ws.string_value = p.raw_value
        elif p.HasField("default") and 0 <= p.default < len(p.options):
            ws.string_value = p.options[p.default]
        else:
            return None
    elif kind in ("number_input", "text_input"):
        name = "value" if p.set_value else "default"
        if not p.HasField(name):
            return None
        if kind == "number_input":
            ws.double_value = getattr(p, name)  # the value type the server registers
        else:
            ws.string_value = getattr(p, name)
    elif kind == "checkbox":
        ws.bool_value = p.value if p.set_value else p.default
    elif kind == "slider":
        if p.options:  # select_slider: option texts
            texts = list(p.raw_value) if p.set_value else [p.options[int(i)] for i in p.default]
            ws.string_array_value.data.extend(texts)
        else:
            ws.double_array_value.data.extend(p.value if p.set_value else p.default)
    else:
        return None
    return ws


def option_text(key: str, value) -> str:
    """The text a menu shows (and the protocol carries) for ``value`` of widget ``key``."""
    if key.endswith("_scheme"):
        return INITIALIZERS[value].label
    row = FIELDS.get(key)
    if row is not None and row.option_label is not None:
        return row.option_label(value)
    return str(value)


@dataclass
class Page:
    kind: str  # "first", "change", "large", "warm-up"
    seconds: float
    finished: bool
    errors: list[str]
    notices: list[str]


class Session:
    """One browser tab: a websocket, the widgets' values, the cache of large messages.

    Like Streamlit's frontend, it reads every message as it comes (the server drops a client
    with 500 unread), keeps the widget values of the last run (the value a widget was drawn
    with, unless the server set one) and forgets widgets the run did not draw, keeps cacheable
    messages (``metadata.cacheable``) and tells the server their hashes
    (``cached_message_hashes``), which then sends such a message again as a reference
    (``ref_hash``) only; entries unused for ``max_cached_message_age`` runs are dropped.
    """

    def __init__(self, url: str, meter: Meter):
        parts = urlsplit(url)
        self.url = url.rstrip("/") + "/"
        self.ws_url = f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}" \
                      f"{parts.path.rstrip('/')}/_stcore/stream"
        self.meter = meter
        self.ws = None
        self.reader: asyncio.Task | None = None
        self.query = ""
        self.page_script_hash = ""
        self.widgets: dict[str, WidgetState] = {}  # id -> the value sent back
        self.kinds: dict[str, tuple[str, tuple[str, ...]]] = {}  # id -> (widget, options)
        self.keys: dict[str, str] = {}  # user key -> id
        self.drawn: set[str] = set()
        self.cache: dict[str, list] = {}  # hash -> [ForwardMsg, run last used]
        self.runs = 0
        self.max_age = 2
        self.refs = 0
        self.received = 0
        self.done: asyncio.Future | None = None
        self.errors: list[str] = []
        self.notices: list[str] = []
        self.closed: str | None = None

    async def open(self, timeout: float) -> None:
        self.ws = await asyncio.wait_for(websocket_connect(
            self.ws_url, subprotocols=SUBPROTOCOLS, max_message_size=MAX_MESSAGE), timeout)
        self.reader = asyncio.ensure_future(self._read())

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()
        if self.reader is not None:
            self.reader.cancel()

    async def _read(self) -> None:
        try:
            while True:
                data = await self.ws.read_message()
                if data is None:
                    self._end("the server closed the connection")
                    return
                if isinstance(data, bytes):
                    self.received += len(data)
                    self._handle(data)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug here must not leave pages waiting for nothing
            self._end(f"client error: {type(exc).__name__}: {exc}")

    def _end(self, why: str) -> None:
        self.closed = why
        if self.done is not None and not self.done.done():
            self.errors.append(why)
            self.done.set_result(False)

    def _handle(self, data: bytes) -> None:
        msg = ForwardMsg()
        msg.ParseFromString(data)
        kind = msg.WhichOneof("type")
        if kind == "ref_hash":
            entry = self.cache.get(msg.ref_hash)
            if entry is None:
                self.errors.append(f"a reference to a message never received ({msg.ref_hash})")
                return
            self.refs += 1
            entry[1] = self.runs
            msg = entry[0]
            kind = msg.WhichOneof("type")
        elif msg.metadata.cacheable and msg.hash:
            self.cache[msg.hash] = [msg, self.runs]
        if kind == "delta":
            if msg.delta.WhichOneof("type") == "new_element":
                self._element(msg.delta.new_element)
        elif kind == "new_session":
            self.page_script_hash = msg.new_session.page_script_hash
            self.max_age = msg.new_session.config.max_cached_message_age or self.max_age
        elif kind == "page_info_changed":  # the page wrote its address (st.query_params)
            self.query = msg.page_info_changed.query_string
        elif kind == "session_event":
            event = msg.session_event.WhichOneof("type")
            if event == "script_compilation_exception":
                self.errors.append("the script does not compile")
            elif event == "script_changed_on_disk":
                self.notices.append("a source file changed during the run")
        elif kind == "script_finished":
            self._finished(msg.script_finished)

    def _element(self, el) -> None:
        kind = el.WhichOneof("type")
        if kind == "exception":
            self.errors.append(f"exception: {el.exception.type}: {el.exception.message[:160]}")
            return
        if kind == "alert":
            if el.alert.format == Alert.ERROR:
                body = re.sub(r"\\(.)", r"\1", el.alert.body)  # markdown escapes out
                (self.errors if body.startswith(FAILURES) else self.notices).append(body[:200])
            return
        p = getattr(el, kind, None)
        wid = getattr(p, "id", "")
        if not wid:
            return
        self.drawn.add(wid)
        if wid in self.widgets and not getattr(p, "set_value", False):
            return  # the browser keeps the value it holds
        ws = widget_state(kind, p)
        if ws is not None:
            self.widgets[wid] = ws
            self.kinds[wid] = (kind, tuple(getattr(p, "options", ())))
            self.keys[wid.split("-", 2)[-1]] = wid  # $$ID-<hash>-<user key>

    def _finished(self, status: int) -> None:
        if status in (FINISHED.FINISHED_EARLY_FOR_RERUN,
                      FINISHED.FINISHED_FRAGMENT_RUN_SUCCESSFULLY):
            return  # the run goes on (st.rerun), or a fragment's, not the page's
        if status == FINISHED.FINISHED_WITH_COMPILE_ERROR:
            self.errors.append("the script did not compile")
        # As the browser does at the end of a run: forget the widgets it did not draw, and
        # the cached messages unused for max_age runs.
        self.widgets = {k: v for k, v in self.widgets.items() if k in self.drawn}
        self.keys = {k: v for k, v in self.keys.items() if v in self.widgets}
        self.runs += 1
        self.cache = {h: e for h, e in self.cache.items() if self.runs - e[1] <= self.max_age}
        if self.done is not None and not self.done.done():
            self.done.set_result(True)

    def change(self, key: str, value) -> str | None:
        """Set widget ``key`` to ``value`` for the next run; an error message, or None."""
        wid = self.keys.get(key)
        if wid is None:
            return f"no widget with key {key!r} on the page"
        kind, options = self.kinds[wid]
        ws = WidgetState(id=wid)
        if kind in ("selectbox", "radio"):
            text = option_text(key, value)
            if text not in options:
                return f"{key}: {text!r} is not an option ({', '.join(options)})"
            ws.string_value = text
        elif kind == "number_input":
            ws.double_value = float(value)
        elif kind == "text_input":
            ws.string_value = str(value)
        elif kind == "checkbox":
            ws.bool_value = bool(value)
        else:
            return f"{key}: a {kind} cannot be changed here"
        self.widgets[wid] = ws
        return None

    async def page(self, kind: str, timeout: float, query: str | None = None) -> Page:
        """Send a rerun (the first with ``query``, later ones with the widget states) and wait
        for its ``script_finished``."""
        self.errors, self.notices, self.drawn = [], [], set()
        if self.closed is not None:
            return Page(kind, math.nan, False, [self.closed], [])
        back = BackMsg()
        state = back.rerun_script
        state.query_string = self.query if query is None else query
        state.page_script_hash = self.page_script_hash
        state.widget_states.widgets.extend(self.widgets.values())
        state.cached_message_hashes.extend(self.cache)
        state.context_info.url = self.url
        state.context_info.timezone = "UTC"
        state.context_info.locale = "en-US"
        self.done = asyncio.get_running_loop().create_future()
        self.meter.page_started()
        t0 = time.perf_counter()
        try:
            await self.ws.write_message(back.SerializeToString(), binary=True)
            finished = await asyncio.wait_for(asyncio.shield(self.done), timeout)
        except asyncio.TimeoutError:  # not TimeoutError before Python 3.11
            finished = False
            self.errors.append(f"did not finish within {timeout:g} s")
        except Exception as exc:  # the connection went away while sending
            finished = False
            self.errors.append(f"could not send the rerun: {type(exc).__name__}: {exc}")
        finally:
            self.meter.page_done()
        seconds = time.perf_counter() - t0
        return Page(kind, seconds, finished and not self.errors, list(self.errors),
                    list(self.notices))


# --------------------------------------------------------------------------------------------
# The class
# --------------------------------------------------------------------------------------------


@dataclass
class Student:
    arrival: float
    thinks: list[float]
    changes: list[tuple[str, object]]


def plan_class(rng: random.Random, n: int, over: float, changes: int,
               think: tuple[float, float]) -> list[Student]:
    """Arrival times, pauses and control changes of ``n`` students (two changes in a row
    touch two controls)."""
    students = []
    for arrival in sorted(rng.uniform(0, over) for _ in range(n)):
        keys: list[str] = []
        for _ in range(changes):
            keys.append(rng.choice([k for k in MENU if not keys or k != keys[-1]]))
        students.append(Student(arrival, [rng.uniform(*think) for _ in keys],
                                [(k, rng.choice(MENU[k])) for k in keys]))
    return students


def large_links() -> list[tuple[str, str]]:
    """``(name, query string)`` of each :data:`LARGE` configuration: a share link of the
    default page with its changes, epochs halved until :meth:`Config.from_dict` accepts it."""
    links = []
    for name, changes in LARGE.items():
        settings = {**PRESETS[DEFAULT_PRESET].config().to_dict(), **changes}
        while True:
            try:
                cfg = Config.from_dict(settings)
                break
            except ConfigError:
                if settings["epochs"] <= 1:
                    raise
                settings["epochs"] //= 2
        query = urlencode(config_to_params(cfg), quote_via=quote, safe=",")  # as share_link
        _, dropped, refused = link_config(parse_qs(query))
        if dropped or refused:
            raise SystemExit(f"the dashboard does not take the large link {name}: "
                             f"{refused or dropped}")
        links.append((f"{name}, {cfg.epochs} epochs", query))
    return links


async def student(url: str, meter: Meter, plan: Student, query: str, timeout: float,
                  t0: float) -> list[Page]:
    await asyncio.sleep(max(0.0, t0 + plan.arrival - time.perf_counter()))
    s = Session(url, meter)
    try:
        await s.open(timeout)
    except Exception as exc:
        return [Page("first", math.nan, False, [f"could not connect: {exc}"], [])]
    try:
        pages = [await s.page("first", timeout, query)]
        for think, (key, value) in zip(plan.thinks, plan.changes, strict=True):
            if not pages[-1].finished:
                break
            await asyncio.sleep(think)
            problem = s.change(key, value)
            if problem is not None:
                pages.append(Page("change", math.nan, False, [problem], []))
                break
            pages.append(await s.page("change", timeout))
        return pages
    finally:
        s.close()


async def large_student(url: str, meter: Meter, query: str, timeout: float) -> Page:
    s = Session(url, meter)
    try:
        await s.open(timeout)
        return await s.page("large", timeout, query)
    except Exception as exc:
        return Page("large", math.nan, False, [f"could not connect: {exc}"], [])
    finally:
        s.close()


async def run_class(url: str, pid: int | None, plans: list[Student], query: str,
                    large: list[tuple[str, str]], args) -> dict:
    meter = Meter(pid)
    if not args.no_warmup:
        warm = Session(url, meter)
        await warm.open(args.timeout)
        page = await warm.page("warm-up", args.large_timeout, "")
        warm.close()
        if not page.finished:
            raise SystemExit(f"the warm-up page failed: {'; '.join(page.errors)}")
        print(f"warm-up page (not counted): {page.seconds:.2f} s", flush=True)
    stop = asyncio.Event()
    busy0 = machine_ticks()
    cpu_self0 = time.process_time()
    meter.sample()
    cpu0 = meter.cpu
    sampler = asyncio.ensure_future(meter.run(stop))
    t0 = time.perf_counter()
    tasks = [student(url, meter, p, query, args.timeout, t0) for p in plans]
    tasks += [large_student(url, meter, q, args.large_timeout) for _, q in large]
    results = await asyncio.gather(*tasks)
    wall = time.perf_counter() - t0
    stop.set()
    await sampler
    busy1 = machine_ticks()
    return {"class": [p for pages in results[:len(plans)] for p in pages],
            "large": list(zip([n for n, _ in large], results[len(plans):], strict=True)),
            "wall": wall, "server_cpu": meter.cpu - cpu0 if pid else None,
            "wait_cpu": meter.wait_cpu, "wait_seconds": meter.wait_seconds,
            "wait2_cpu": meter.wait2_cpu, "wait2_seconds": meter.wait2_seconds,
            "peak_rss": meter.peak_rss if pid else None,
            "machine_busy": (busy1 - busy0) / CLK_TCK,
            "self_cpu": time.process_time() - cpu_self0, "max_inflight": meter.max_inflight,
            "last_tree": meter.last_tree}


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, log) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "streamlit", "run", "dashboard.py",
           "--server.headless", "true", "--server.port", str(port),
           "--browser.gatherUsageStats", "false"]
    return subprocess.Popen(cmd, cwd=ROOT, env=os.environ.copy(), stdout=log,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def wait_healthy(url: str, proc: subprocess.Popen | None, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode} before it was ready")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url}/_stcore/health did not answer ok within {timeout:g} s")


def stop_server(proc: subprocess.Popen, tree: dict) -> list[int]:
    """Terminate the server (then kill it). Its descendants (worker processes) get 5 s to
    exit on their own, then those left are terminated, then killed: only processes of the
    server's last sampled tree, matched by PID and start time, so a reused PID is never
    hit. Returns the descendants that had to be stopped."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def alive() -> list[int]:
        out = []
        for pid, st in tree.items():
            now = proc_stat(pid)
            if pid != proc.pid and now is not None and now[3] == st[3] and _state(pid) != "Z":
                out.append(pid)
        return out

    stopped: list[int] = []
    for sig, grace in ((None, 5.0), (signal.SIGTERM, 5.0), (signal.SIGKILL, 0.0)):
        left = alive()
        if not left:
            break
        if sig is not None:
            stopped = stopped or left
            for pid in left:
                try:
                    os.kill(pid, sig)
                except OSError:
                    pass
        deadline = time.monotonic() + grace
        while alive() and time.monotonic() < deadline:
            time.sleep(0.1)
    return stopped


def _state(pid: int) -> str:
    """The process state letter (``Z`` for a zombie), or ``""`` if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return ""
    return data[data.rindex(b")") + 2:].split()[0].decode()


# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); nan for no values."""
    if not values:
        return math.nan
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def report(out: dict, args, plans: list[Student]) -> dict:
    pages = out["class"]
    wanted = len(plans) * (1 + args.changes)
    done = [p.seconds for p in pages if p.finished]
    firsts = [p.seconds for p in pages if p.finished and p.kind == "first"]
    changes = [p.seconds for p in pages if p.finished and p.kind == "change"]
    errors = [e for p in pages for e in p.errors]
    large_errors = [e for _, p in out["large"] for e in p.errors]
    notices = [n for p in pages for n in p.notices] + [n for _, p in out["large"]
                                                       for n in p.notices]
    wall = out["wall"]
    cores = os.cpu_count() or 1
    configs = {tuple(sorted(s.changes[:i])) for s in plans for i in range(len(s.changes) + 1)}
    numbers = {
        "students": len(plans), "large_students": len(out["large"]),
        "pages_wanted": wanted, "pages_finished": len(done),
        "errors": len(errors) + len(large_errors),
        "page_p50": percentile(done, 50), "page_p95": percentile(done, 95),
        "page_max": max(done, default=math.nan),
        "first_page_p50": percentile(firsts, 50), "change_page_p50": percentile(changes, 50),
        "large_pages": {n: (p.seconds if p.finished else None) for n, p in out["large"]},
        "duration": wall,
        "server_cores": out["server_cpu"] / wall if out["server_cpu"] is not None else None,
        "server_cores_while_waiting": (out["wait_cpu"] / out["wait_seconds"]
                                       if out["server_cpu"] is not None and out["wait_seconds"]
                                       else None),
        "seconds_with_pages_waiting": out["wait_seconds"],
        "server_cores_while_2_waited": (out["wait2_cpu"] / out["wait2_seconds"]
                                        if out["server_cpu"] is not None
                                        and out["wait2_seconds"] else None),
        "seconds_with_2_pages_waiting": out["wait2_seconds"],
        "peak_rss_bytes": out["peak_rss"],
        "machine_busy_cores": out["machine_busy"] / wall, "machine_cores": cores,
        "load_generator_cores": out["self_cpu"] / wall,
        "max_pages_in_flight": out["max_inflight"], "configurations": len(configs),
        "other_error_messages": sum(1 for n in notices if not n.startswith("a source")),
    }

    def na(x, fmt):
        return "n/a (no --pid)" if x is None else format(x, fmt)

    rows = [
        ("students", f"{len(plans)}" + (f" (+{len(out['large'])} large)" if out["large"]
                                        else "")),
        ("pages finished", f"{len(done)} of {wanted}"),
        ("errors", f"{len(errors)}" + (f" (+{len(large_errors)} in large pages)"
                                       if out["large"] else "")),
        ("page time p50 / p95 / max (s)",
         f"{numbers['page_p50']:.2f} / {numbers['page_p95']:.2f} / {numbers['page_max']:.2f}"),
        ("  first page / change p50 (s)",
         f"{numbers['first_page_p50']:.2f} / {numbers['change_page_p50']:.2f}"),
    ]
    for name, p in out["large"]:
        refused = [n for n in p.notices if not n.startswith("a source")]
        rows.append((f"large page: {name} (s)",
                     (f"{p.seconds:.1f}" if p.finished else f"failed after {p.seconds:.1f}")
                     + (f" (shown: {refused[0][:60]}...)" if refused else "")))
    rows += [
        ("duration of the class (s)", f"{wall:.1f}"),
        ("server cores (its process tree)", na(numbers["server_cores"], ".2f")),
        ("server cores while pages waited",
         (na(out["server_cpu"], "") if out["server_cpu"] is None
          else format(numbers["server_cores_while_waiting"] or math.nan, ".2f"))
         + f" (over {out['wait_seconds']:.0f} s; at most {out['max_inflight']} pages waiting)"),
        ("  ... while 2 or more waited",
         (na(out["server_cpu"], "") if out["server_cpu"] is None
          else format(numbers["server_cores_while_2_waited"] or math.nan, ".2f"))
         + f" (over {out['wait2_seconds']:.0f} s)"),
        ("peak server memory (tree, MB)",
         na(None if out["peak_rss"] is None else out["peak_rss"] / 1e6, ".0f")),
        ("machine busy (cores)", f"{numbers['machine_busy_cores']:.2f} of {cores}"),
        ("load generator (cores)", f"{numbers['load_generator_cores']:.3f}"),
        ("configurations asked (distinct)", f"{len(configs)}"),
        ("other st.error shown", f"{numbers['other_error_messages']}"),
    ]
    print()
    width = max(len(label) for label, _ in rows) + 1
    for label, value in rows:
        print(f"{label:{width}s} {value}")
    shown = errors + large_errors
    for e in sorted(set(shown))[:5]:
        print(f"  error ({shown.count(e)}x): {e}")
    for n in sorted(set(notices))[:3]:
        print(f"  notice ({notices.count(n)}x): {n}")
    return numbers


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=30)
    ap.add_argument("--over", type=float, default=60.0, help="arrivals spread over S seconds")
    ap.add_argument("--changes", type=int, default=2, help="control changes per student")
    ap.add_argument("--link", default="",
                    help="the shared link the students open: a query string or a whole URL "
                         "(default: the default page)")
    ap.add_argument("--large", action="store_true",
                    help="3 more students open large configurations at the start")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds a page may take")
    ap.add_argument("--large-timeout", type=float, default=600.0,
                    help="seconds a large page (and the warm-up) may take")
    ap.add_argument("--url", help="an already running server (http://host:port)")
    ap.add_argument("--pid", type=int, help="with --url: its PID, to measure CPU and memory")
    ap.add_argument("--no-warmup", action="store_true")
    ap.add_argument("--json", metavar="FILE", help="also write the numbers as JSON")
    ap.add_argument("--smoke", action="store_true",
                    help="2 students over 2 s, 1 change each (as the test suite runs it)")
    args = ap.parse_args()
    think = (2.0, 5.0)
    if args.smoke:
        args.students, args.over, args.changes, args.large = 2, 2.0, 1, False
        args.timeout = args.large_timeout = 40.0
        think = (0.5, 1.0)
    if args.students < 0 or args.over < 0 or args.changes < 0:
        ap.error("--students, --over and --changes must be at least 0")
    if args.pid is not None and args.url is None:
        ap.error("--pid goes with --url (without --url the benchmark measures its own server)")
    query = urlsplit(args.link).query if "?" in args.link else args.link.lstrip("?")
    rng = random.Random(args.seed)
    plans = plan_class(rng, args.students, args.over, args.changes, think)
    large = large_links() if args.large else []

    proc, log = None, None
    url, pid = (args.url.rstrip("/"), args.pid) if args.url else (None, None)
    if url is None:
        port = free_port()
        log = tempfile.NamedTemporaryFile("w+b", prefix="bench_class_server_", suffix=".log",
                                          delete=False)
        proc = start_server(port, log)
        url, pid = f"http://127.0.0.1:{port}", proc.pid
    print(f"Class benchmark: {args.students} students over {args.over:g} s, {args.changes} "
          f"change(s) each, seed {args.seed}, link {'?' + query if query else '(default page)'}"
          f"; server {url}" + (f" (pid {pid})" if pid else "")
          + f"; load average {os.getloadavg()[0]:.2f}", flush=True)
    for name, q in large:
        print(f"large link: {name}: ?{q[:100]}...")
    tree: dict = {}
    try:
        wait_healthy(url, proc, 60.0)
        out = asyncio.run(run_class(url, pid, plans, query, large, args))
        tree = out["last_tree"]
    finally:
        if proc is not None:
            left = stop_server(proc, tree)
            if left:
                print(f"stopped {len(left)} process(es) the server left running: {left}")
    numbers = report(out, args, plans)
    if log is not None:
        log.seek(0)
        text = log.read().decode(errors="replace")
        log.close()
        tracebacks = text.count("Traceback")
        numbers["server_log_tracebacks"] = tracebacks
        if tracebacks or numbers["errors"]:
            print(f"server log: {tracebacks} traceback(s), kept in {log.name}")
        else:
            os.unlink(log.name)
    if args.json:
        Path(args.json).write_text(json.dumps(numbers, indent=2) + "\n")
    failed = numbers["errors"] or numbers["pages_finished"] < numbers["pages_wanted"]
    return 1 if args.smoke and failed else 0


if __name__ == "__main__":
    sys.exit(main())
