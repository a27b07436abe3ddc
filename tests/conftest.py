"""Fixtures of the real-browser tests (the dashboard's server and Debian's Chromium), the
number of test workers, and one scan of the installed packages for AppTest."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS, ROOT, free_port, missing

#: The servers the browser tests start train as a user's server would (worker processes,
#: unless the person running the tests set INITLAB_WORKERS); AppTests run the dashboard inside
#: the test process, where trainings run in a thread (INITLAB_WORKERS=0): tests spy on
#: ``sim.train_comparison``, and a pool of processes per test would only add start-up time.
#: tests/test_serve.py tests the worker processes and a Dask cluster themselves.
SERVER_ENV = dict(os.environ)
os.environ.setdefault("INITLAB_WORKERS", "0")


def pytest_xdist_auto_num_workers(config) -> int:
    """``-n auto`` (pyproject.toml): one worker more than the cores this process may use, at
    most 8. The suite also waits (on Chromium, servers, subprocesses), and the spare worker
    fills those waits: on 2 cores, 3 workers ran it in 8.0 min, 2 in 8.8 (--dist load); with
    3 workers the two cores are 97 % busy from start to end."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min((cores or 1) + 1, 8)


#: Modules whose tests are long (a browser, a subprocess, a server): collected first, so that
#: ``--dist load`` starts them early and the last minute is short tests on every worker, not
#: one worker finishing a long test while the other cores idle.
LONG_FIRST = ("test_layout_browser.py", "test_browser.py", "test_cli_files.py", "test_cli.py",
              "test_bench.py")


def pytest_collection_modifyitems(session, config, items) -> None:
    """Long modules first (:data:`LONG_FIRST`); the rest, and each module's tests, in order."""
    rank = {name: k for k, name in enumerate(LONG_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


@pytest.fixture(autouse=True, scope="session")
def _components_scanned_once() -> Iterator[None]:
    """Every new ``AppTest`` scans the metadata of every installed package for Streamlit
    components (0.2 s each, about 450 times in the suite); the installed packages do not change
    during a test run, so the scan runs once per worker. Without that module (another
    Streamlit), nothing is changed."""
    try:
        from streamlit.components.v2 import manifest_scanner
    except ImportError:
        yield
        return
    once = functools.cache(manifest_scanner.scan_component_manifests)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(manifest_scanner, "scan_component_manifests",
                   lambda *a, **k: list(once(*a, **k)))
        yield


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """``streamlit run dashboard.py`` on a free port; yields its URL."""
    port = free_port()
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.headless",
             "true", "--server.address", "127.0.0.1", "--server.port", str(port),
             "--browser.gatherUsageStats", "false"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=SERVER_ENV)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:  # fail fast: a stale server could answer otherwise
                pytest.fail(f"streamlit exited with code {proc.returncode}:\n"
                            + log.read_text(errors="replace")[-3000:])
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("streamlit did not answer /_stcore/health within 60 s:\n"
                            + log.read_text(errors="replace")[-3000:])
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium driven by Playwright (no `playwright install`)."""
    if not Path(CHROMIUM).exists():
        missing(f"Chromium not found at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright is not installed")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


