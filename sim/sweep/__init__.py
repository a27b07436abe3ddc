"""Sweeps: a grid over a configuration's settings, run on this machine or a Dask cluster.

``python -m sim sweep`` and the dashboard's Map tab use this package:

* :mod:`sim.sweep.grid`: the grid (:class:`Sweep`, :class:`Axis`, ``--grid`` parsing, the
  cells and the batches they are trained in);
* :mod:`sim.sweep.execute`: running it (:func:`run_sweep`: serial, local processes, Dask),
  with ``results.csv`` written as cells finish and resumed where it stopped;
* :mod:`sim.sweep.results`: the file's columns and :func:`read_results`;
* :mod:`sim.sweep.presets`: the papers' sweeps (:data:`SWEEP_PRESETS`).
"""

from sim.sweep.execute import EXECUTORS, estimate, run_sweep
from sim.sweep.grid import (
    Axis,
    Cell,
    Sweep,
    SweepError,
    Target,
    load_sweep,
    parse_axis,
    parse_values,
)
from sim.sweep.results import METRICS, RUN_COLUMNS, columns, read_results

__all__ = ["EXECUTORS", "METRICS", "RUN_COLUMNS", "Axis", "Cell", "Sweep", "SweepError",
           "Target", "columns", "estimate", "load_sweep", "parse_axis", "parse_values",
           "read_results", "run_sweep"]
