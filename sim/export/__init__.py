"""Files out of a result: data, chart images, one offline HTML page, one ZIP.

One module per job; this package re-exports their public names, so ``from sim import export``
then ``export.metrics_csv(result)`` is all a caller needs:

* :mod:`sim.export.data`: ``metrics.csv`` (:func:`metrics_csv`, :func:`metrics_rows`),
  ``weights.npz`` (:func:`weights_npz`) and :func:`write_run_files` (``python -m sim run
  --out``). numpy only.
* :mod:`sim.export.render`: one chart as PNG, SVG or PDF through kaleido and its Chromium
  (:func:`figure_bytes`); :class:`ExportUnavailable` and :func:`static_export_available`
  when they are missing.
* :mod:`sim.export.bundle`: every chart in one offline HTML page (:func:`figures_html`),
  everything in one ZIP with a README (:func:`export_zip`) or in a folder
  (:func:`export_files`, ``python -m sim export``).
* :mod:`sim.export.folder` (imported on its own: it needs POSIX ``fcntl``): the command
  line's ``--out`` folder, checked before training, locked against a second run and filled
  with a complete set of files at once (:class:`~sim.export.folder.OutputFolder`).
* :mod:`sim.naming` (outside the package: no plotly): :func:`config_hash`,
  :func:`figure_filename`, :func:`zip_filename` and :func:`page_title`, e.g.
  ``loss_overlay-zeros-vs-xavier_uniform-1c2d3e4f.png`` and ``Init Lab: zeros vs
  xavier_uniform on moons``.

Importing this package imports neither plotly nor kaleido; rendering a chart does.
"""

from sim.export.bundle import EXPORT_FORMATS, ZIP_FORMATS, export_files, export_zip, figures_html
from sim.export.data import (
    CSV_COLUMNS,
    NPZ_COMPRESSED,
    metrics_csv,
    metrics_rows,
    weight_arrays,
    weights_npz,
    write_run_files,
)
from sim.export.render import (
    INSTALL_CHROMIUM,
    NO_CHROMIUM,
    NO_KALEIDO,
    RENDER_TIMEOUT,
    STATIC_FORMATS,
    ExportUnavailable,
    figure_bytes,
    static_export_available,
)
from sim.naming import (
    MAX_CHART_PART,
    MAX_INIT_PART,
    chart_files,
    config_hash,
    figure_filename,
    page_title,
    zip_filename,
)

__all__ = [
    "CSV_COLUMNS",
    "EXPORT_FORMATS",
    "INSTALL_CHROMIUM",
    "MAX_CHART_PART",
    "MAX_INIT_PART",
    "NO_CHROMIUM",
    "NO_KALEIDO",
    "NPZ_COMPRESSED",
    "RENDER_TIMEOUT",
    "STATIC_FORMATS",
    "ZIP_FORMATS",
    "ExportUnavailable",
    "chart_files",
    "config_hash",
    "export_files",
    "export_zip",
    "figure_bytes",
    "figure_filename",
    "figures_html",
    "metrics_csv",
    "metrics_rows",
    "page_title",
    "static_export_available",
    "weight_arrays",
    "weights_npz",
    "write_run_files",
    "zip_filename",
]
