"""A sweep's results: one row per (cell, initialization, seed), in ``results.csv``.

The columns, in order: ``cell`` (the cell's index in the grid), one column per swept field
(named as the field: ``sigma_w2``, ``depth``, ``init.scale``...), then :data:`RUN_COLUMNS`:

===================  ===========================================================================
``init``             the initialization's label (as the comparison's legend shows it)
``seed``             the run's seed
``initial_loss``     training loss at initialization (epoch 0)
``train_loss``       final training loss; empty when the run diverged
``test_loss``        final test loss; empty when the run diverged or there is no test set
``train_accuracy``   final training accuracy (classification); empty otherwise
``test_accuracy``    final test accuracy (classification, with a test set); empty otherwise
``distinct_first``   distinct neurons of the first hidden layer at the end
``distinct_last``    distinct neurons of the last hidden layer at the end
``width_first``      units of the first hidden layer
``width_last``       units of the last hidden layer
``rank_first``       effective rank of the first hidden layer at the end
``rank_last``        effective rank of the last hidden layer at the end
``diverged_at``      the epoch the run diverged at (non-finite numbers); empty if it did not
``epochs_to_target`` the first epoch whose training loss is at most the sweep's target; empty
                     if it never got there (see :class:`sim.sweep.grid.Target`)
``constant_at_init`` 1 if the network's output was the same for every training input at
                     initialization (a dead network), else 0
``seconds``          the cell's share of the training time of the batch it was trained in
===================  ===========================================================================

Numbers are written with Python's ``repr`` (the shortest text that reads back to the same
float), so a file read back gives the same numbers bit for bit; an empty field is a missing
value (``None`` once read). Everything but ``seconds`` is the same whichever executor ran
the sweep.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

#: The columns after the swept fields.
RUN_COLUMNS = (
    "init", "seed", "initial_loss", "train_loss", "test_loss", "train_accuracy",
    "test_accuracy", "distinct_first", "distinct_last", "width_first", "width_last",
    "rank_first", "rank_last", "diverged_at", "epochs_to_target", "constant_at_init", "seconds",
)
#: Columns holding whole numbers.
INT_COLUMNS = frozenset({"cell", "seed", "distinct_first", "distinct_last", "width_first",
                         "width_last", "diverged_at", "epochs_to_target", "constant_at_init"})
#: Columns holding text.
TEXT_COLUMNS = frozenset({"init"})

#: What a map can show, by column (or derived name): its label.
METRICS = {
    "test_accuracy": "test accuracy",
    "train_accuracy": "training accuracy",
    "train_loss": "final training loss",
    "test_loss": "final test loss",
    "rank_last": "effective rank (last hidden layer)",
    "distinct_last": "distinct neurons (last hidden layer)",
    "epochs_to_target": "epochs to reach the loss target",
    "diverged": "fraction of runs that diverged",
    "constant_at_init": "fraction of networks dead at init",
}

#: A results file larger than this is refused (about a million rows).
MAX_RESULTS_BYTES = 200 * 1024**2

Row = dict[str, Any]


def columns(fields: Sequence[str]) -> list[str]:
    """The header of a sweep over ``fields``: ``cell``, the fields, :data:`RUN_COLUMNS`."""
    return ["cell", *fields, *RUN_COLUMNS]


def format_value(value: Any) -> str:
    """One CSV field: empty for None or a non-finite float, ``repr`` for floats (exact)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    return str(value)


def parse_value(column: str, text: str) -> Any:
    """One field read back: None if empty, int/float/str by column (a swept field's value is a
    number when it reads as one, else text)."""
    if text == "":
        return None
    if column in TEXT_COLUMNS:
        return text
    if column in INT_COLUMNS:
        return int(text)
    if column in RUN_COLUMNS:
        return float(text)
    try:  # a swept field: depth=10 is an int, lr=0.1 a float, activation=tanh text
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def grid_fields(header: Sequence[str]) -> list[str]:
    """The swept fields of a results header (the columns between ``cell`` and ``init``).

    Raises
    ------
    ValueError
        When the header is not a results file's: ``cell`` first, then the fields, then
        :data:`RUN_COLUMNS` in order.
    """
    header = list(header)
    n = len(RUN_COLUMNS)
    if len(header) < n + 1 or header[0] != "cell" or tuple(header[-n:]) != RUN_COLUMNS:
        shown = ", ".join(header[:6]) + (", ..." if len(header) > 6 else "")
        raise ValueError("This is not a sweep's results.csv: its header must be cell, the swept "
                         f"fields, then {', '.join(RUN_COLUMNS[:3])} ... {RUN_COLUMNS[-1]}. "
                         f"Got: {shown or 'an empty file'}.")
    return header[1:-n]


def read_results(source: str | os.PathLike | IO | bytes, *, partial_last_line: bool = False
                 ) -> list[Row]:
    """Read a ``results.csv`` (a path, an open file, or its bytes).

    Parameters
    ----------
    source : path, file or bytes
    partial_last_line : bool, default False
        Drop a last line that is incomplete (a sweep killed while writing it) instead of
        refusing the file. A resumed sweep reads its own file this way.

    Returns
    -------
    list of dict
        One dict per row, column -> value (see :func:`parse_value`), in the file's order.

    Raises
    ------
    ValueError
        For a file that is not a sweep's results (header, a row's length, a number that is
        not one), too large, or not text; the message says which line.
    """
    text = _read_text(source)
    lines = text.splitlines(keepends=True)
    if partial_last_line and lines and not lines[-1].endswith(("\n", "\r")):
        lines = lines[:-1]
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        header = []
    grid_fields(header)  # refuses a file that is not a sweep's
    rows: list[Row] = []
    for k, record in enumerate(reader, start=2):
        if not record:
            continue
        if len(record) != len(header):
            raise ValueError(f"results.csv line {k}: {len(record)} fields, the header has "
                             f"{len(header)}.")
        try:
            rows.append({c: parse_value(c, t) for c, t in zip(header, record, strict=True)})
        except ValueError:
            bad = next(c for c, t in zip(header, record, strict=True) if not _parses(c, t))
            raise ValueError(f"results.csv line {k}: column {bad} must be a number. "
                             f"Got {record[header.index(bad)][:40]!r}.") from None
    return rows


def _parses(column: str, text: str) -> bool:
    try:
        parse_value(column, text)
    except ValueError:
        return False
    return True


def _read_text(source: str | os.PathLike | IO | bytes) -> str:
    if isinstance(source, bytes | bytearray):
        data = bytes(source)
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        if path.is_dir():
            path = path / "results.csv"
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise ValueError(f"Cannot read {path}: {exc.strerror or exc}.") from None
        if size > MAX_RESULTS_BYTES:
            raise ValueError(f"{path} is {size / 1024**2:.0f} MB, over the "
                             f"{MAX_RESULTS_BYTES // 1024**2} MB limit of a results file.")
        data = path.read_bytes()
    else:
        data = source.read(MAX_RESULTS_BYTES + 1)
        if isinstance(data, str):
            data = data.encode()
    if len(data) > MAX_RESULTS_BYTES:
        raise ValueError(f"The results file is over the {MAX_RESULTS_BYTES // 1024**2} MB "
                         "limit.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("This is not a results.csv: it is not UTF-8 text.") from None


def to_csv(rows: Iterable[Mapping[str, Any]], fields: Sequence[str], header: bool = True) -> str:
    """Rows as CSV text (with the header unless ``header`` is False)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    cols = columns(fields)
    if header:
        writer.writerow(cols)
    for row in rows:
        writer.writerow([format_value(row.get(c)) for c in cols])
    return buf.getvalue()


def in_grid_order(rows: Iterable[Row]) -> list[Row]:
    """Rows sorted by cell; a cell's rows keep their order (its runs': init, then seed), as
    they are written together."""
    return sorted(rows, key=lambda row: row["cell"])
