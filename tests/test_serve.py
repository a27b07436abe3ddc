"""Serving a class (:mod:`sim.serve`): the settings, the byte-bounded cache, the queue and
memory budget, trainings that give the bytes they give alone whatever runs beside them, and
the same bytes from worker processes and from a Dask cluster."""

from __future__ import annotations

import re
import threading
import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from test_train import _arrays as history_arrays

import sim
import sim.serve.service as service_module
from sim import Config, ConfigError, train_comparison
from sim.app.training import queue_message
from sim.serve import (
    ServiceClosed,
    SettingError,
    Settings,
    SizedCache,
    TrainingService,
    parse_bytes,
)
from sim.serve.cache import nbytes_of

SMALL = {"dataset": "moons", "hidden": [6, 5], "epochs": 30, "n_samples": 96,
         "inits": [{"scheme": "zeros"}, {"scheme": "xavier_uniform"}], "seeds": 2}
#: Wide enough for OpenBLAS to split its products over threads if it were allowed to.
WIDE = {"dataset": "moons", "hidden": [192, 192], "activation": "tanh", "epochs": 25,
        "n_samples": 400, "inits": [{"scheme": "zeros"}, {"scheme": "xavier_normal"}],
        "seeds": 2}


def _arrays(result):
    yield from history_arrays(result)
    yield from (result.data.X_train, result.data.y_train)


def assert_same_bytes(a, b) -> None:
    for x, y in zip(_arrays(a), _arrays(b), strict=True):
        assert x.dtype == y.dtype and x.shape == y.shape
        assert x.tobytes() == y.tobytes()


def _settings(memory="2GB", workers=0, scheduler=None) -> Settings:
    return Settings.from_env({"INITLAB_MEMORY": memory, "INITLAB_WORKERS": str(workers),
                              "INITLAB_SCHEDULER": scheduler or ""})


def _service(memory: str, workers: int = 0) -> TrainingService:
    """A service whose web process counts as 100 MB (a test process is larger, and its
    size depends on the tests it ran before)."""
    svc = TrainingService(_settings(memory, workers))
    svc._base = 100 * 1000**2
    svc._web_rss = lambda: 100 * 1000**2
    return svc


# ------------------------------------------------------------------ settings
@pytest.mark.parametrize("text,value", [("3GB", 3 * 1000**3), ("1500MB", 1500 * 1000**2),
                                        ("2GiB", 2 * 1024**3), ("2.5G", int(2.5 * 1024**3)),
                                        (" 512 mb ", 512 * 1000**2),
                                        ("4000000000", 4 * 1000**3)])
def test_memory_settings_are_read_with_their_unit(text, value):
    assert parse_bytes(text) == value


@pytest.mark.parametrize("text", ["", "lots", "3 GB extra", "-1GB", "3XB", "100MB"])
def test_a_bad_memory_setting_is_refused_naming_it(text):
    with pytest.raises(SettingError, match="INITLAB_MEMORY must be"):
        parse_bytes(text)


def test_defaults_and_bad_worker_counts():
    s = Settings.from_env({})
    assert s.memory == 2 * 1000**3 and s.workers >= 1 and s.scheduler is None
    with pytest.raises(SettingError, match="INITLAB_WORKERS must be a whole number"):
        Settings.from_env({"INITLAB_WORKERS": "two"})


# ------------------------------------------------------------------ the cache
def test_the_cache_evicts_the_least_recently_used_by_bytes():
    cache = SizedCache(100)
    cache.put("a", "x" * 40)
    cache.put("b", "y" * 40)
    assert cache.get("a") is not None  # "a" is now the most recently used
    cache.put("c", "z" * 40)  # 120 bytes: "b" goes
    assert "b" not in cache and "a" in cache and "c" in cache and cache.nbytes == 80
    cache.put("big", "w" * 101)  # larger than the whole cache: not kept, nothing evicted
    assert "big" not in cache and len(cache) == 2
    assert cache.evict_to(40) == 40 and list(cache._items) == ["c"]


def test_a_results_size_counts_its_arrays():
    result = train_comparison(Config.from_dict(SMALL))
    arrays = sum(x.nbytes for x in _arrays(result))
    assert arrays <= nbytes_of(result) <= 2 * arrays + 200_000


# ------------------------------------------------------------------ the same bytes
def test_trainings_in_threads_give_the_bytes_they_give_alone():
    """Three trainings at once in one process, twice over, give exactly the arrays each
    gives alone (no process-wide setting changes under a running training any more)."""
    configs = [Config.from_dict(WIDE), Config.from_dict({**WIDE, "epochs": 5}),
               Config.from_dict({**SMALL, "epochs": 200})]
    alone = [train_comparison(c) for c in configs]
    for _ in range(2):
        out: dict[int, object] = {}
        threads = [threading.Thread(target=lambda k=k, c=c, out=out: out.__setitem__(
            k, train_comparison(c))) for k, c in enumerate(configs)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for k in range(len(configs)):
            assert_same_bytes(out[k], alone[k])


@pytest.fixture(scope="module")
def local_service():
    svc = TrainingService(_settings(workers=2))
    svc.warm()
    yield svc
    svc.close()


def test_worker_processes_give_the_bytes_of_a_training_here(local_service):
    """Trainings in the local worker processes, several at once, equal those trained in this
    process, bit for bit; the second request of a configuration is the cached result."""
    configs = [Config.from_dict(WIDE), Config.from_dict(SMALL),
               Config.from_dict({**SMALL, "activation": "relu"})]
    tickets = [local_service.request(c) for c in configs]
    try:
        results = [t.result(timeout=120) for t in tickets]
    finally:
        for t in tickets:
            local_service.release(t)
    for c, r in zip(configs, results, strict=True):
        assert r.config == c
        assert_same_bytes(r, train_comparison(c))
    assert local_service.get_result(configs[0]) is results[0]
    assert len(local_service._worker_pids()) == 2


def test_a_dask_cluster_gives_the_same_bytes():
    """With a scheduler address (INITLAB_SCHEDULER) the trainings run on that Dask cluster,
    here a LocalCluster of two worker processes, with the same bytes."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=40) as cluster:
        svc = TrainingService(_settings(scheduler=cluster.scheduler_address))
        try:
            assert svc.mode == "dask" and svc.slots == 2
            for cfg in (Config.from_dict(SMALL), Config.from_dict(WIDE)):
                assert_same_bytes(svc.get_result(cfg), train_comparison(cfg))
        finally:
            svc.close()


# ------------------------------------------------------------------ queue and budget
@pytest.fixture
def slow_training(monkeypatch):
    """``sim.train_comparison`` held until the test lets it go, counting its calls."""
    gate, calls = threading.Event(), []
    original = sim.train_comparison

    def held(cfg, *args, **kwargs):
        calls.append(cfg)
        assert gate.wait(30)
        return original(cfg, *args, **kwargs)

    monkeypatch.setattr(sim, "train_comparison", held)
    return gate, calls


def test_sessions_asking_for_one_configuration_share_one_training(slow_training):
    gate, calls = slow_training
    svc = TrainingService(_settings())
    cfg = Config.from_dict(SMALL)
    a, b = svc.request(cfg), svc.request(cfg)
    assert a is b and a.waiters == 2
    gate.set()
    assert a.result(30) is b.result(30)
    svc.release(a)
    svc.release(b)
    assert len(calls) == 1
    assert svc.request(cfg).result(1) is a.result()  # now from the cache
    svc.close()


def test_the_queue_says_how_many_are_ahead_and_drops_what_nobody_waits_for(
        slow_training, monkeypatch):
    gate, calls = slow_training
    svc = TrainingService(_settings())  # one training at a time
    first, second, third = (svc.request(Config.from_dict({**SMALL, "epochs": e}))
                            for e in (10, 20, 30))
    assert first.started is not None and second.started is None
    assert svc.position(second)[0] == 1 and svc.position(third)[0] == 2
    assert svc.position(third)[1] >= third.seconds
    svc.release(second)  # a rerun while waiting: the session asks again at once ...
    assert svc.request(Config.from_dict({**SMALL, "epochs": 20})) is second  # same place
    svc.release(second)  # ... or that student changed the setting again
    monkeypatch.setattr(service_module, "RELEASE_GRACE", 0.0)
    assert svc.wait(third, 0.01) is None  # the queue is looked at again: second is dropped
    assert svc.position(third)[0] == 1 and second.future.cancelled()
    gate.set()
    assert third.result(30).config.epochs == 30
    assert [c.epochs for c in calls] == [10, 30]
    svc.close()


def test_a_closed_service_fails_what_it_had_and_refuses_more(slow_training):
    """Closing (the server stops, or its caches are cleared) ends every waiting training
    with ServiceClosed, which the page answers by asking the new service."""
    gate, calls = slow_training
    svc = TrainingService(_settings())
    running, queued = (svc.request(Config.from_dict({**SMALL, "epochs": e})) for e in (10, 20))
    svc.close()
    for t in (running, queued):
        with pytest.raises(ServiceClosed):
            svc.wait(t, 1)
    with pytest.raises(ServiceClosed):
        svc.request(Config.from_dict(SMALL))
    gate.set()


def test_a_killed_worker_fails_its_training_and_the_next_ones_train(local_service):
    """A worker killed while it trains (out of memory, say): that training fails, and the
    service starts a new pool for the next ones."""
    import os
    import signal

    long = Config.from_dict({**WIDE, "epochs": 4000})
    ticket = local_service.request(long)
    try:
        deadline = time.monotonic() + 30
        while not (ticket.started and local_service._worker_pids()):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(1.0)  # the worker is training now
        for pid in local_service._worker_pids():
            os.kill(pid, signal.SIGKILL)
        with pytest.raises(Exception, match="(?i)terminated|broken"):
            ticket.result(60)
    finally:
        local_service.release(ticket)
    assert long.to_json(indent=None) not in local_service._tickets
    cfg = Config.from_dict({**SMALL, "epochs": 17})
    assert_same_bytes(local_service.get_result(cfg), train_comparison(cfg))


def test_a_long_training_waiting_for_memory_holds_the_queue_in_the_end(monkeypatch,
                                                                       slow_training):
    """Short trainings may pass a long one that waits for memory, but not for ever: after
    MEMORY_HOLD_SECONDS the queue waits behind it."""
    gate, calls = slow_training
    monkeypatch.setattr(service_module, "estimate_cost",
                        lambda cfg: (10.0 if cfg.epochs >= 100 else 0.1, 0))
    sizes = {12: 500 * 1000**2, 100: 600 * 1000**2}
    monkeypatch.setattr(service_module, "training_bytes",
                        lambda cfg: (sizes.get(cfg.epochs, 1000), 1000))
    svc = _service("1GB")
    svc.slots = 3
    monkeypatch.setattr(svc, "memory_in_use", lambda: 200 * 1000**2)
    big_short = svc.request(Config.from_dict({**SMALL, "epochs": 12}))  # 500 MB, runs
    long = svc.request(Config.from_dict({**SMALL, "epochs": 100}))  # 600 MB: must wait
    assert big_short.started is not None and long.started is None and long.reason == "memory"
    passing = svc.request(Config.from_dict({**SMALL, "epochs": 13}))
    assert passing.started is not None  # a short one passes the long one ...
    long.blocked_since -= service_module.MEMORY_HOLD_SECONDS + 1
    held = svc.request(Config.from_dict({**SMALL, "epochs": 14}))
    assert held.started is None  # ... until it has waited too long; a worker stays free
    gate.set()
    for t in (big_short, long, passing, held):
        assert t.result(30) is not None
    assert [c.epochs for c in calls][:2] == [12, 13] and set(c.epochs for c in calls[2:]) \
        == {100, 14}
    svc.close()


def test_the_queue_message():
    assert queue_message(2, 19.2) == ("Waiting for a free worker: 2 trainings ahead of you, "
                                      "about 20 s.")
    assert queue_message(1, 0.2).startswith("Waiting for a free worker: 1 training ahead")


def test_a_training_waits_while_the_budget_is_taken(monkeypatch, slow_training):
    """Two free workers, but memory for one training at a time: the second waits in the
    queue until the first is done."""
    gate, calls = slow_training
    svc = _service("1GB")
    svc.slots = 2
    monkeypatch.setattr(svc, "memory_in_use", lambda: 300 * 1000**2)
    monkeypatch.setattr(service_module, "training_bytes", lambda cfg: (400 * 1000**2, 1000))
    a = svc.request(Config.from_dict(SMALL))
    b = svc.request(Config.from_dict({**SMALL, "epochs": 11}))
    assert a.started is not None and b.started is None and svc.position(b)[0] == 1
    gate.set()
    a.result(30)
    assert b.result(30).config.epochs == 11
    svc.close()


def test_cached_results_are_evicted_by_size_to_make_room(monkeypatch):
    svc = _service("1GB")
    monkeypatch.setattr(svc, "memory_in_use", lambda: 200 * 1000**2 + svc.results.nbytes)
    old = Config.from_dict(SMALL)
    svc.get_result(old)
    svc.results.put(old.to_json(indent=None), "x", 600 * 1000**2)  # pretend it is large
    monkeypatch.setattr(service_module, "training_bytes", lambda cfg: (500 * 1000**2, 1000))
    svc.get_result(Config.from_dict({**SMALL, "epochs": 12}))
    assert old.to_json(indent=None) not in svc.results
    svc.close()


def test_a_configuration_that_can_never_fit_is_refused_naming_the_budget(monkeypatch):
    svc = _service("1GB", workers=2)
    monkeypatch.setattr(service_module, "training_bytes", lambda cfg: (900 * 1000**2, 1000))
    with pytest.raises(ConfigError, match=r"memory budget of 1 GB \(INITLAB_MEMORY\) leaves"):
        svc.request(Config.from_dict(SMALL))
    svc.close()


def test_the_page_refuses_what_the_budget_can_never_train(monkeypatch):
    """A server whose budget (INITLAB_MEMORY) can never hold a configuration's training
    refuses it on the page, naming the limit, trains nothing, and keeps showing the last
    result as such."""
    import streamlit as st

    st.cache_resource.clear()
    monkeypatch.setenv("INITLAB_MEMORY", "3GB")
    monkeypatch.setattr(service_module, "training_bytes",
                        lambda cfg: (5 * 1000**3 if cfg.epochs == 321 else 1000, 1000))
    try:
        at = AppTest.from_file("../dashboard.py", default_timeout=60)
        at.run()
        monkeypatch.setattr(sim, "train_comparison", lambda *a, **k: pytest.fail("trained"))
        at.number_input(key="epochs").set_value(321).run()
        assert not at.exception
        errors = [e.value.replace("\\", "") for e in at.error]
        assert len(errors) == 1
        assert re.fullmatch(
            r"\*\*Too large for this server\.\*\* This configuration needs about 5 GB of "
            r"memory to train; this server's memory budget of 3 GB \(INITLAB_MEMORY\) leaves "
            r"[0-9.]+ [MG]B beside what the server itself uses \([0-9.]+ [MG]B\): use fewer or "
            r"smaller layers, fewer samples, runs or snapshots\.", errors[0]), errors[0]
        captions = [c.value for c in at.caption]
        assert "Showing the last valid result until the setting is fixed." in captions
        assert not any("Custom settings" in c for c in captions)
        assert at.session_state["last_result"].config.epochs != 321
    finally:
        st.cache_resource.clear()


def test_the_dashboard_trains_on_a_dask_cluster(monkeypatch):
    """INITLAB_SCHEDULER: the page's training runs on the cluster, with the bytes of a
    training here."""
    distributed = pytest.importorskip("distributed")
    import streamlit as st

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=40) as cluster:
        st.cache_resource.clear()
        monkeypatch.setenv("INITLAB_SCHEDULER", cluster.scheduler_address)
        try:
            at = AppTest.from_file("../dashboard.py", default_timeout=120)
            at.query_params["epochs"] = "77"
            at.run()
            assert not at.exception and not at.error
            result = at.session_state["last_result"]
            assert result.config.epochs == 77
            from sim.app.training import service
            assert service().mode == "dask"
            assert_same_bytes(result, train_comparison(result.config))
        finally:
            st.cache_resource.clear()
        time.sleep(0)  # the cluster closes after the service's client


def test_the_charts_a_worker_builds_are_the_ones_the_page_shows(monkeypatch):
    """What a worker builds with a training (:func:`sim.charts.prebuilt.page_charts`) is,
    key for key and byte for byte, what the Compare tab draws when it opens."""
    import plotly.io as pio
    import streamlit as st

    from sim.app.training import service
    from sim.charts.prebuilt import page_charts

    st.cache_resource.clear()  # a new service (in this process: it builds no charts ahead)
    try:
        at = AppTest.from_file("../dashboard.py", default_timeout=60)
        at.query_params["epochs"] = "61"
        at.run()
        assert not at.exception
        result = at.session_state["last_result"]
        cache = service().charts
        drawn = {k: cache.get(k) for k in list(cache._items) if k[1] == result.config.to_json(
            indent=None)}
        built = page_charts(result)
        assert set(built) == set(drawn) and len(built) > 6
        for k, v in built.items():
            assert (pio.to_json(v, validate=False) if isinstance(v, dict) else v) == \
                (pio.to_json(drawn[k], validate=False) if isinstance(drawn[k], dict)
                 else drawn[k])
    finally:
        st.cache_resource.clear()


def test_long_trainings_leave_a_worker_to_the_short_ones(monkeypatch, slow_training):
    """Two workers, two long trainings asked first: one starts, the other waits, and a short
    training asked after them starts at once on the worker kept free."""
    gate, calls = slow_training
    monkeypatch.setattr(service_module, "estimate_cost",
                        lambda cfg: (10.0 if cfg.epochs >= 100 else 0.1, 0))
    svc = TrainingService(_settings())
    svc.slots = 2
    long_a, long_b, short = (svc.request(Config.from_dict({**SMALL, "epochs": e}))
                             for e in (100, 101, 12))
    assert long_a.started is not None and long_b.started is None
    assert short.started is not None
    ahead, seconds = svc.position(long_b)
    assert ahead == 2 and seconds > 10  # after the first long one, then its own 10 s
    gate.set()
    assert long_b.result(30).config.epochs == 101 and short.result(30).config.epochs == 12
    svc.close()


def test_a_result_crosses_from_worker_to_server_unchanged(tmp_path):
    """:func:`sim.serve.worker.dump` / :func:`load` (a result's arrays out of band, read
    straight into place) give back every array, whatever its memory order."""
    from sim.serve import worker

    result = train_comparison(Config.from_dict(SMALL))
    odd = {"f": np.asfortranarray(np.arange(12.0).reshape(3, 4)), "empty": np.zeros(0),
           "ints": np.arange(5, dtype=np.int64)}
    worker.dump((result, odd), str(tmp_path / "r"))
    back, odd_back = worker.load(str(tmp_path / "r"))
    assert_same_bytes(back, result)
    assert back.config == result.config
    for k, v in odd.items():
        np.testing.assert_array_equal(odd_back[k], v)
        assert odd_back[k].flags.writeable


@pytest.mark.parametrize("name,value,expected", [
    ("INITLAB_MEMORY", "lots", "INITLAB_MEMORY must be an amount of memory such as 3GB"),
    ("INITLAB_SCHEDULER", "tcp://127.0.0.1:1", "INITLAB_SCHEDULER=tcp://127.0.0.1:1: cannot "
                                               "reach the Dask scheduler"),
])
def test_a_wrong_server_setting_is_one_message_on_the_page(monkeypatch, name, value, expected):
    """A wrong setting in the server's environment is one message naming it, not a
    traceback; the page trains nothing."""
    import streamlit as st

    st.cache_resource.clear()
    monkeypatch.setenv(name, value)
    try:
        at = AppTest.from_file("../dashboard.py", default_timeout=60)
        at.run()
        assert not at.exception
        assert len(at.error) == 1
        assert at.error[0].value.startswith("**This server cannot train.**")
        assert expected in at.error[0].value.replace("\\", "")
    finally:
        st.cache_resource.clear()


def test_a_remote_dask_cluster_gets_this_code(tmp_path):
    """A Dask scheduler and worker started apart, where ``sim`` cannot be imported (as on
    another machine): the service ships the code, and the training has the same bytes."""
    import os
    import socket
    import subprocess
    import sys

    pytest.importorskip("distributed")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    procs = [subprocess.Popen([sys.executable, "-m", "dask", *args], cwd=tmp_path, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for args in (["scheduler", "--host", "127.0.0.1", "--port", str(port),
                           "--dashboard-address", ":0"],
                          ["worker", address, "--nthreads", "1", "--dashboard-address", ":0"])]
    try:
        probe = subprocess.run([sys.executable, "-c", "import sim"], cwd=tmp_path, env=env,
                               capture_output=True)
        assert probe.returncode != 0  # the worker's Python cannot import sim by itself
        deadline = time.monotonic() + 30
        while True:  # the worker has joined
            try:
                svc = TrainingService(_settings(scheduler=address))
                if svc.slots >= 1 and svc._client.nthreads():
                    break
                svc.close()
            except SettingError:
                pass
            assert time.monotonic() < deadline
            time.sleep(0.5)
        try:
            cfg = Config.from_dict(SMALL)
            assert_same_bytes(svc.get_result(cfg), train_comparison(cfg))
        finally:
            svc.close()
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(10)


def test_a_training_that_no_longer_fits_an_idle_server_is_refused(monkeypatch):
    """The web process grew (sessions) since the page was checked: on an idle server the
    training fails with a BudgetError, which the page shows, instead of breaking the
    budget."""
    from sim.serve.service import BudgetError

    svc = _service("1GB")
    monkeypatch.setattr(svc, "memory_in_use", lambda: 800 * 1000**2)
    monkeypatch.setattr(service_module, "training_bytes", lambda cfg: (500 * 1000**2, 1000))
    ticket = svc.request(Config.from_dict(SMALL))
    with pytest.raises(BudgetError, match="INITLAB_MEMORY"):
        svc.wait(ticket, 5)
    assert not svc._tickets and not svc._queue
    svc.close()
