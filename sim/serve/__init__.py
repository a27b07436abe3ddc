"""Serving a class: where the dashboard's trainings run, and what the server may hold.

* :mod:`sim.serve.settings`: ``INITLAB_MEMORY``, ``INITLAB_WORKERS``, ``INITLAB_SCHEDULER``.
* :mod:`sim.serve.service`: :class:`TrainingService`, worker processes or a Dask cluster
  behind one queue and one memory budget, with the results cache.
* :mod:`sim.serve.cache`: :class:`SizedCache`, a least-recently-used cache bounded by bytes
  (results, and the charts and captions of :mod:`sim.charts.prebuilt`).
* :mod:`sim.serve.worker`: what a worker runs.

Nothing here imports Streamlit: :mod:`sim.app.training` owns the one service of a server
process and shows its queue on the page.
"""

from sim.serve.cache import SizedCache, nbytes_of
from sim.serve.service import ServiceClosed, Ticket, TrainingService
from sim.serve.settings import SettingError, Settings, parse_bytes

__all__ = ["ServiceClosed", "SettingError", "Settings", "SizedCache", "Ticket", "TrainingService",
           "nbytes_of", "parse_bytes"]
