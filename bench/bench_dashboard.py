"""Dashboard benchmark: how long the default page and a control change take to compute.

Run from the project root::

    python bench/bench_dashboard.py             # 5 repeats
    python bench/bench_dashboard.py --repeat 10
    python bench/bench_dashboard.py --smoke     # seconds: every part at the smallest size,
                                                # as the test suite runs it

``--smoke`` is one repeat (unless ``--repeat`` says otherwise) of every part below; the
default page it measures has no smaller size.

Streamlit's headless AppTest runs ``dashboard.py`` exactly as the server would (widgets,
cache, charts, serialisation of every element), without a browser. Printed (best and median
of the repeats, seconds):

* default page, first run of a session with an empty training cache (what a visitor waits
  for on a fresh server, imports excluded; the very first run of the process is printed
  separately);
* the same page again (the cache hit: a rerun of the page);
* a control change to a config not seen before (activation sigmoid -> tanh: train + draw);
* going back to a config seen before (cache hit);
* the parts: training alone (``train_comparison``), drawing the Compare tab's charts and
  captions, and the server's share of an epoch-slider step (the fragment moves each animated
  chart to the new epoch's frame, :func:`sim.app.panels.chart_figure`, and serialises it).

The browser adds its own time on top (websocket, plotly.js drawing): the browser test
(``pytest tests/test_browser.py -s``) prints those timings.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import streamlit as st  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from sim import PRESETS, charts, train_comparison  # noqa: E402
from sim.app.state import shown_epochs  # noqa: E402
from sim.presets import DEFAULT_PRESET  # noqa: E402

APP = os.path.join(os.path.dirname(__file__), "..", "dashboard.py")


def new_session() -> AppTest:
    return AppTest.from_file(APP, default_timeout=120)


def timed_run(at: AppTest) -> tuple[float, float]:
    """Wall seconds of one AppTest run and the compute time the page reports about itself
    (a caption at the bottom); stops the benchmark if the page raised."""
    t0 = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - t0
    if at.exception:
        raise SystemExit(f"the dashboard raised: {at.exception[0].message}")
    for caption in at.caption:
        match = re.search(r"Page computed in ([0-9.]+) s", caption.value)
        if match:
            return seconds, float(match.group(1))
    return seconds, math.nan


def compare_tab_charts(result) -> None:
    """The figures and captions of the Compare tab (as the dashboard draws them)."""
    view = charts.View(True, "distinct_neurons", result.history.snapshot_epochs.size - 1)
    for _, specs in charts.sections("compare"):
        for spec in specs:
            for i in range(2) if spec.per_init else [None]:
                charts.draw(spec, result, i, view)
                if spec.caption is not None:
                    spec.caption(result, i, view)


def epoch_step(result, epochs: list[int]) -> None:
    """The server's work of epoch-slider steps through ``epochs``: each animated chart of
    both sides moved to the epoch's frame and serialised as Streamlit sends it."""
    import plotly.io as pio

    from sim.app.panels import chart_figure

    specs = [spec for _, group in charts.sections("compare") for spec in group
             if "frames" in spec.options]
    index = [int(e) for e in result.history.snapshot_epochs]
    for epoch in epochs:
        view = charts.View(True, "distinct_neurons", index.index(epoch))
        for spec in specs:
            for i in range(2):
                fig = chart_figure(spec, result, i, view)
                if fig is None:  # a chart that does not apply (filters of a dense network)
                    continue
                pio.to_json(fig.to_dict(), validate=False)
                if spec.caption is not None:
                    spec.caption(result, i, view)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=None, help="repeats (default 5)")
    parser.add_argument("--smoke", action="store_true",
                        help="one repeat: every part, as the test suite runs it")
    args = parser.parse_args()
    if args.repeat is None:
        args.repeat = 1 if args.smoke else 5

    rows: dict[str, list[float]] = {}
    script: dict[str, list[float]] = {}

    def record(name: str, seconds: float | tuple[float, float]) -> None:
        if isinstance(seconds, tuple):
            seconds, inside = seconds
            script.setdefault(name, []).append(inside)
        rows.setdefault(name, []).append(seconds)

    first = timed_run(new_session())[0]

    for _ in range(args.repeat):
        st.cache_data.clear()
        st.cache_resource.clear()  # the training service: its results and charts caches
        at = new_session()
        record("default page, empty cache (train + draw)", timed_run(at))
        record("default page again (cache hit)", timed_run(at))
        at.selectbox(key="activation").select("tanh")
        record("control change to a new config (tanh)", timed_run(at))
        at.selectbox(key="activation").select("sigmoid")
        record("back to a config seen before", timed_run(at))

        cfg = PRESETS[DEFAULT_PRESET].config()
        t0 = time.perf_counter()
        result = train_comparison(cfg)
        record("  part: train_comparison (default config)", time.perf_counter() - t0)
        t0 = time.perf_counter()
        compare_tab_charts(result)
        record("  part: Compare tab charts and captions", time.perf_counter() - t0)
        offered = shown_epochs(result)
        epoch_step(result, offered[-1:])  # the page's first draw builds the frames
        t0 = time.perf_counter()
        epoch_step(result, offered[-6:-1])
        record("  part: epoch-slider step, server side (mean of 5)",
               (time.perf_counter() - t0) / 5)

    print(f"Dashboard timings (AppTest, {args.repeat} repeats, seconds; 2-core machine)")
    print(f"  first run of the process (imports included): {first:.3f}")
    print("  'script' = the page's own compute time (a caption at the bottom of the page);")
    print("  'AppTest' = wall time of AppTest.run(), which adds the test harness's overhead.")
    width = max(len(k) for k in rows)
    print(f"  {'':{width}}   script (best/median)   AppTest (best/median)")
    for name, values in rows.items():
        inside = script.get(name)
        left = (f"{min(inside):.3f} / {statistics.median(inside):.3f}" if inside
                else "       -       ")
        print(f"  {name:{width}}   {left:>20}   {min(values):.3f} / "
              f"{statistics.median(values):.3f}")
    target = statistics.median(script["default page, empty cache (train + draw)"])
    print(f"Default page compute target < 0.5 s: {'met' if target < 0.5 else 'NOT met'} "
          f"(median {target:.3f} s)")


if __name__ == "__main__":
    main()
