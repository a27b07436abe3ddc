"""The dashboard's Streamlit code (``streamlit run dashboard.py``); ``import sim`` never loads it.

- :mod:`sim.app.state`: the page's session state <-> :class:`~sim.config.Config` (widget values
  from the table of fields), presets, the view on screen, notices.
- :mod:`sim.app.links`: the configuration in the page address and in uploaded files.
- :mod:`sim.app.sidebar`: every control, one widget per row of :data:`sim.fields.FIELDS`.
- :mod:`sim.app.training`: the server's one :class:`~sim.serve.TrainingService` (worker
  processes or Dask, the queue, the memory budget), its queue message and progress bar.
- :mod:`sim.app.panels`: charts side by side with captions (cached for every session),
  the metrics row.
- :mod:`sim.app.compare`, :mod:`sim.app.more`, :mod:`sim.app.why`, :mod:`sim.app.export_tab`:
  one module per tab.

What the page shows is computed elsewhere: charts by :mod:`sim.charts`, captions and the
Why? derivation by :mod:`sim.explain`, files by :mod:`sim.export`; these modules only lay
it out and keep the state.
"""
