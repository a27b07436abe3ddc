"""Every benchmark in ``bench/`` still runs: each script's ``--smoke`` mode goes through the
same code as its full run (every measured part, every printed table) at the smallest sizes,
in seconds. A benchmark that breaks (a renamed function, a changed result) fails the tests
instead of rotting until someone next measures; the numbers it prints are not checked.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted((ROOT / "bench").glob("*.py"))


def test_every_benchmark_is_found():
    """The glob sees the benchmarks (a moved folder would otherwise test nothing)."""
    assert SCRIPTS


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_benchmark_smoke_run(script):
    """``python bench/<script> --smoke`` exits with 0 and prints its results."""
    proc = subprocess.run([sys.executable, str(script), "--smoke"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, (f"{script.name} --smoke exited with {proc.returncode}:\n"
                                  + output[-3000:])
    assert proc.stdout.strip(), f"{script.name} --smoke printed nothing"
