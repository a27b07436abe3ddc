"""The command line: ``python -m sim run|export|sweep|presets|schemes``.

``run`` trains a comparison from flags, a JSON config file (``--config``) or a preset
(``--preset``), in that order of precedence (flags win), prints a summary table and with
``--out DIR`` writes ``config.json``, ``metrics.csv`` and ``weights.npz``. ``export`` also
renders the charts (``--format png,svg,pdf,html,csv,npz,json,zip``). Bad input ends with exit
code 2 and a one-line message, never a traceback.

Initializer syntax for ``--init`` (repeatable: one run per ``--init``, times ``--seeds``)::

    NAME[:key=value,key=value,...]

``NAME`` is a scheme or an alias (``python -m sim schemes`` lists them); keys are the scheme's
parameters, plus ``scale`` (multiplies the weights), ``bias`` (a bias scheme) and
``bias.PARAM`` (its parameters). Examples: ``zeros``, ``normal:std=0.1``,
``xavier_uniform:gain=1.667``, ``he_normal:mode=fan_out``,
``zeros:bias=normal,bias.std=0.5``, ``xavier_normal:scale=0.1``.

The output folder
-----------------
``--out DIR`` is checked before training: a file is really created (and removed) there, and
the run takes DIR's lock, so a read-only folder or a second run into the same folder is
refused in one line (exit 2) before any work. The files are written into a temporary folder
inside DIR and swapped in only when complete, so DIR holds either the previous complete set
or the new one, and the user's own files in DIR are never touched (see
:mod:`sim.export.folder`).

Progress and interrupts
-----------------------
Training reports its progress through ``train_comparison(..., progress=)``; the main thread
only waits for the training threads with a timeout, so Ctrl-C reaches it at once. On a
terminal, a training estimated (:func:`sim.config.estimate_cost`) to take over
:data:`PROGRESS_AFTER` seconds shows a tqdm progress bar with its ETA on stderr; ``--quiet``
or a stderr that is not a terminal shows none. Ctrl-C (or SIGTERM) prints one line, saying at
which epoch it stopped or what DIR holds, and exits with 128 + the signal's number (130 for
Ctrl-C, 143 for SIGTERM), never with a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import IO, TYPE_CHECKING, Any, NoReturn

import numpy as np

from sim.activations import ACTIVATIONS
from sim.config import Config, ConfigError, InitSpec, estimate_cost
from sim.datasets import DATASETS
from sim.fields import FIELDS, GROUPS, INITS_AFTER, Field, conv_text
from sim.initializers import ALIASES, BIAS_INITIALIZERS, INITIALIZERS
from sim.jsonio import load_json
from sim.losses import LOSSES
from sim.optimizers import OPTIMIZERS
from sim.presets import PRESETS
from sim.validate import MAX_QUOTED, quote, shorten

if TYPE_CHECKING:  # imported when used: fcntl is POSIX-only, training imports are slow
    from sim.export.folder import OutputFolder
    from sim.train import Result

INIT_SYNTAX_HELP = """\
initializer syntax (--init, repeatable: one run per --init, times --seeds):
  NAME[:key=value,key=value,...]
  NAME is a scheme or an alias (python -m sim schemes lists them); the keys are the
  scheme's parameters, plus scale (multiplies the weights), bias (a bias scheme) and
  bias.PARAM (its parameters). Examples:
    zeros    normal:std=0.1    xavier_uniform:gain=1.667    he_normal:mode=fan_out
    zeros:bias=normal,bias.std=0.5    xavier_normal:scale=0.1
defaults: zeros vs xavier_uniform, and each flag's default above
  (python -m sim presets lists ready-made experiments)
"""

FORMATS = ("png", "svg", "pdf", "html", "csv", "npz", "json", "zip")

#: A progress bar is shown for trainings estimated to take longer than this (seconds).
PROGRESS_AFTER = 1.0


class UsageError(Exception):
    """Bad command-line input: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, no usage dump
        # argparse quotes the value it refuses in full: keep the first characters of long ones
        message = re.sub(rf"'([^']{{{MAX_QUOTED - 3}}})[^']+'", "'\\1…'", message)
        raise UsageError(f"{self.prog}: {message} (see --help)")


def parse_init(text: str) -> dict[str, Any]:
    """Parse ``NAME[:key=value,...]`` into an :class:`InitSpec` dict (not yet validated).

    Raises
    ------
    UsageError
        When the text does not follow the syntax.
    """
    name, _, rest = text.partition(":")
    if not name.strip():
        raise UsageError(f"--init {quote(text)}: a scheme name is missing, e.g. 'normal:std=0.1'")
    spec: dict[str, Any] = {"scheme": name.strip(), "params": {}, "bias_params": {}}
    for item in filter(None, (s.strip() for s in rest.split(","))):
        key, eq, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not eq or not key or not value:
            raise UsageError(f"--init {quote(text)}: expected key=value, got {quote(item)}")
        if key == "scale":
            spec["scale"] = value
        elif key == "bias":
            spec["bias"] = value
        elif key.startswith("bias."):
            spec["bias_params"][key[5:]] = value
        else:
            spec["params"][key] = value
    return spec


def _build_parser() -> _Parser:
    p = _Parser(prog="python -m sim",
                description="Init Lab: train zero vs random initializations side by side.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="train a comparison and print a summary",
                         description="Train every --init x --seeds run on the same data, print "
                                     "a summary table; --out DIR writes config.json, "
                                     "metrics.csv and weights.npz.",
                         formatter_class=argparse.RawDescriptionHelpFormatter,
                         epilog=INIT_SYNTAX_HELP)
    exp = sub.add_parser("export", help="train, then write charts and data files",
                         description="Train a comparison and write its charts and data: "
                                     "--format png,svg,pdf,html,csv,npz,json,zip.")
    for sp in (run, exp):
        _add_config_flags(sp)
    run.add_argument("--out", metavar="DIR",
                     help="write config.json, metrics.csv, weights.npz (swapped in complete)")
    run.add_argument("--json", action="store_true", help="print the summary as JSON")
    exp.add_argument("--out", metavar="DIR", required=True,
                     help="output folder (the files are swapped in complete)")
    exp.add_argument("--format", default="png,html,csv,json",
                     help=f"comma-separated, from {', '.join(FORMATS)} (default: %(default)s)")
    for sp in (run, exp):
        sp.add_argument("--quiet", "-q", action="store_true",
                        help="no progress bar or other notes on stderr (errors still are)")
    from sim.sweep.cli import add_sweep_parser

    add_sweep_parser(sub)
    sub.add_parser("presets", help="list the presets", description="List the presets.")
    sub.add_parser("schemes", help="list initializers, activations, datasets and losses",
                   description="List the names every flag accepts.")
    return p


def _flag_help(row: Field) -> str:
    """A flag's ``--help`` line: the row's help text, its rule and its default."""
    parts = []
    if row.kind not in ("choice", "loss"):  # argparse lists the choices itself
        parts.append(row.rule_text().replace("`", "'"))
    if row.kind != "noise":  # its default (None) is said by the rule
        parts.append(f"default {row.to_text(row.default)}")
    return f"{row.help} ({', '.join(parts)})".replace("%", "%%")


def _add_config_flags(p: argparse.ArgumentParser, presets: Sequence[str] | None = None) -> None:
    """The experiment's flags: one per row of :data:`sim.fields.FIELDS`, grouped as the
    sidebar is, plus the initializations' own syntax (``presets``: the names ``--preset``
    takes, by default :data:`sim.presets.PRESETS`)."""
    g = p.add_argument_group("experiment source (flags override the file, the file the preset)")
    g.add_argument("--preset", choices=list(presets or PRESETS), help="start from a preset")
    g.add_argument("--config", metavar="FILE.json", help="start from a JSON config file")
    groups = {key: p.add_argument_group(title.lower()) for key, title in GROUPS.items()}
    for row in FIELDS.values():
        choices = list(row.options()) if row.kind in ("choice", "loss") else None
        groups[row.group].add_argument(
            row.flag, dest=row.name, choices=choices, metavar=None if choices else row.metavar,
            help=_flag_help(row))
        if row.name == INITS_AFTER:
            _add_init_flags(p.add_argument_group("initialization"))


def _add_init_flags(i) -> None:
    i.add_argument("--init", action="append", metavar="SPEC",
                   help="initializer NAME[:key=value,...]; repeat for one run per init "
                        "(default: zeros and xavier_uniform)")
    i.add_argument("--bias-init", metavar="SPEC",
                   help="bias initializer NAME[:key=value,...] for every --init that sets none")
    i.add_argument("--init-scale", type=str, metavar="X",
                   help="multiply every init's weights by X (unless the init sets scale)")


def config_from_args(args: argparse.Namespace, base: dict[str, Any] | None = None) -> Config:
    """Merge preset (or ``base``, a config dict), config file and flags into one validated
    :class:`Config`."""
    settings: dict[str, Any] = dict(base or {})
    if args.preset in PRESETS:
        settings.update(PRESETS[args.preset].config().to_dict())
    if args.config:
        where = f"--config {shorten(args.config)}"
        data = load_json(args.config, what=f"{where}: the file")
        try:  # validate the file on its own first: its errors name it
            Config.from_dict(data)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}", exc.field) from None
        settings.update(data)
    for name, row in FIELDS.items():
        value = getattr(args, name)
        if value is not None:
            settings[name] = row.from_text(value)
    if args.init:
        settings["inits"] = [parse_init(s) for s in args.init]
    if args.bias_init or args.init_scale is not None:
        # Applies to every init from the preset or file, and to every --init that does not
        # set its own bias or scale.
        from_flags = bool(args.init)
        inits = settings.get("inits") or [s.to_dict() for s in Config().inits]
        inits = [dict(s) if isinstance(s, dict) else {"scheme": s} for s in inits]
        bias = parse_init(args.bias_init) if args.bias_init else None
        for spec in inits:
            if bias and not (from_flags and "bias" in spec):
                spec["bias"], spec["bias_params"] = bias["scheme"], bias["params"]
            if args.init_scale is not None and not (from_flags and "scale" in spec):
                spec["scale"] = args.init_scale
        settings["inits"] = inits
    # Numbers may stay text ("0.5"): Config.from_dict parses and checks them, and its
    # messages quote the text the user typed.
    return Config.from_dict(settings)


def summary_rows(result) -> list[dict[str, Any]]:
    """One dict per run: init, seed, final losses/accuracy, effective neurons per layer.

    The per-layer lists (``distinct_neurons``, ``dead_units``, ``effective_rank``,
    ``layer_widths``) are the dense hidden layers; a network with conv layers adds the same
    for its conv layers' filters (``distinct_filters``, ``dead_filters``,
    ``filter_effective_rank``, ``conv_filters``: the number of filters).
    """
    h = result.history
    rows = []
    widths = result.config.hidden
    for r, (i, seed) in enumerate(result.runs):
        row: dict[str, Any] = {"run": r, "init": result.labels[i], "seed": seed,
                               "train_loss": _last(h.train_loss[r]),
                               "test_loss": _last(h.test_loss[r])}
        if h.test_accuracy is not None:
            row["test_accuracy"] = _last(h.test_accuracy[r])
        row["distinct_neurons"] = _ints(h.metrics["distinct_neurons"][r, -1])
        row["dead_units"] = _ints(h.metrics["dead_units"][r, -1])
        row["effective_rank"] = _rounded(h.metrics["effective_rank"][r, -1])
        row["layer_widths"] = list(widths)
        if h.conv_metrics is not None:  # the conv layers' filters, counted the same way
            row["distinct_filters"] = _ints(h.conv_metrics["distinct_neurons"][r, -1])
            row["dead_filters"] = _ints(h.conv_metrics["dead_units"][r, -1])
            row["filter_effective_rank"] = _rounded(h.conv_metrics["effective_rank"][r, -1])
            row["conv_filters"] = [f for f, _ in result.config.conv]
        d = int(h.diverged_at[r])
        row["diverged_at"] = None if d < 0 else d
        rows.append(row)
    return rows


def _ints(values: np.ndarray) -> list[int | None]:
    return [None if np.isnan(x) else int(x) for x in values]


def _fractions(counts: list[int | None], widths: list[int]) -> str:
    """``1/8, 8/8``: counts over widths, per layer (``-`` for a diverged run's)."""
    return _layers([f"{'-' if d is None else d}/{w}" for d, w in zip(counts, widths,
                                                                      strict=True)])


def _rounded(values: np.ndarray) -> list[float | None]:
    return [None if np.isnan(x) else round(float(x), 2) for x in values]


def _last(curve: np.ndarray) -> float | None:
    finite = curve[np.isfinite(curve)]
    return float(finite[-1]) if finite.size else None


def _layers(values: list[str], most: int = 4) -> str:
    """Per-layer values for the table; deep networks show the first two and the last."""
    if len(values) > most:
        values = [*values[:2], f"…({len(values) - 3} more)…", values[-1]]
    return " ".join(values) or "-"


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.4g}"


def format_summary(result) -> str:
    """The summary table as aligned text."""
    cfg = result.config
    sizes = cfg.layer_sizes
    if len(set(cfg.hidden)) == 1 and len(cfg.hidden) > 3:
        layers = f"[{sizes[0]}, {cfg.hidden[0]} x {len(cfg.hidden)}, {sizes[-1]}]"
    else:
        layers = str(sizes)
    if cfg.conv:
        layers = f"conv {conv_text(cfg.conv)}" + (f" pool {cfg.pool}" if cfg.pool > 1 else "") \
            + f" then {layers}"
    head = (f"{cfg.dataset}, layers {layers}, {cfg.activation}, {cfg.loss_name}, "
            f"{cfg.optimizer} lr={cfg.lr:g}, {cfg.epochs} epochs, {cfg.dtype} "
            f"({result.seconds:.2f} s)")
    cols = ["run", "init", "seed", "train loss", "test loss"]
    has_acc = result.history.test_accuracy is not None
    if has_acc:
        cols.append("test acc")
    # With conv layers, the filters' numbers come first, then " | " and the neurons'.
    conv = bool(cfg.conv)
    cols += ["distinct filters | neurons / width" if conv else "distinct neurons / width",
             "dead", "eff. rank", "note"]
    table = [cols]

    def cell(row: dict[str, Any], conv_key: str, key: str, fmt) -> str:
        dense = _layers([fmt(x) for x in row[key]])
        return f"{_layers([fmt(x) for x in row[conv_key]])} | {dense}" if conv else dense

    for row in summary_rows(result):
        cells = [str(row["run"]), row["init"], str(row["seed"]), _fmt(row["train_loss"]),
                 _fmt(row["test_loss"])]
        if has_acc:
            cells.append("-" if row["test_accuracy"] is None else f"{row['test_accuracy']:.1%}")
        distinct = _fractions(row["distinct_neurons"], row["layer_widths"])
        if conv:
            distinct = _fractions(row["distinct_filters"], row["conv_filters"]) + " | " + distinct
        cells.append(distinct)
        cells.append(cell(row, "dead_filters", "dead_units",
                          lambda d: "-" if d is None else str(d)))
        cells.append(cell(row, "filter_effective_rank", "effective_rank",
                          lambda d: "-" if d is None else f"{d:.2f}"))
        d = row["diverged_at"]
        cells.append("" if d is None else f"diverged at epoch {d}")
        table.append(cells)
    widths = [max(len(r[c]) for r in table) for c in range(len(cols))]
    lines = [head, ""]
    for k, r in enumerate(table):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _list_schemes() -> str:
    lines = ["Initializers (--init):"]
    for name, init in INITIALIZERS.items():
        params = ", ".join(f"{p.name}={p.default}" for p in init.params)
        alias = f" (also {', '.join(init.aliases)})" if init.aliases else ""
        lines.append(f"  {name}{':' + params if params else ''}{alias}  -  {init.formula}")
    lines.append("Bias initializers (--bias-init, or bias=NAME inside --init):")
    for name, init in BIAS_INITIALIZERS.items():
        params = ", ".join(f"{p.name}={p.default}" for p in init.params)
        lines.append(f"  {name}{':' + params if params else ''}")
    lines.append(f"Activations (--activation): {', '.join(ACTIVATIONS)}")
    lines.append("Datasets (--dataset): " + ", ".join(
        f"{n} ({s.task})" for n, s in DATASETS.items()))
    lines.append(f"Losses (--loss): auto, {', '.join(LOSSES)}")
    lines.append("Optimizers (--optimizer): " + ", ".join(
        f"{n} ({o.label})" for n, o in OPTIMIZERS.items()))
    lines.append(f"Aliases: {', '.join(f'{a}={c}' for a, c in ALIASES.items())}")
    return "\n".join(lines)


class Interrupted(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C's KeyboardInterrupt so that ``kill`` also cleans up.

    A KeyboardInterrupt rather than an Exception: library code that catches every Exception
    does not swallow it.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_interrupted(signum: int, _frame: object) -> NoReturn:
    raise Interrupted(signum)


@contextlib.contextmanager
def _signals_interrupt(restore: bool = True) -> Iterator[None]:
    """SIGTERM raises :class:`Interrupted` inside the block (unless it is ignored); with
    ``restore`` the handlers are put back after it."""
    if threading.current_thread() is not threading.main_thread():  # no handlers there
        yield
        return
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    if previous[signal.SIGTERM] == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _raise_interrupted)
    try:
        yield
    finally:
        for s, handler in previous.items():
            if restore and handler is not None:
                signal.signal(s, handler)


def _ignore_signals() -> None:
    """Once interrupted (or done, as the program), a second Ctrl-C must not turn the one line
    into a traceback."""
    if threading.current_thread() is threading.main_thread():
        for s in (signal.SIGINT, signal.SIGTERM):
            signal.signal(s, signal.SIG_IGN)


class _Status:
    """Where a command is, for the one line an interrupt prints."""

    def __init__(self) -> None:
        self.prog = "python -m sim"
        self.phase = "setup"  # setup, training, report, writing
        self.epoch = 0
        self.out: str | None = None
        self.folder: OutputFolder | None = None  # the --out folder

    def interrupted(self) -> str:
        if self.folder is not None and self.folder.changed:
            return f"{self.prog}: interrupted{self.holds()}"
        if self.phase == "writing":
            return f"{self.prog}: interrupted while writing{self.holds()}"
        return f"{self.prog}: interrupted at epoch {self.epoch}, nothing written"

    def holds(self) -> str:
        """``; DIR is unchanged`` or what else DIR holds now ("" without ``--out``)."""
        if self.folder is None:
            return ""
        if self.folder.committed:
            return f"; {self.out} holds the complete new set of files"
        if self.folder.changed:
            return f"; {self.out} may hold a mix of the previous and the new files"
        return f"; {self.out} is unchanged"


def show_progress(quiet: bool, stream: IO[str], seconds: float) -> bool:
    """Whether to show a progress bar on ``stream`` for a training of about ``seconds``.

    Only for someone watching a wait: not with ``--quiet``, only on a terminal (nothing
    extra when piped or redirected) and only past :data:`PROGRESS_AFTER` seconds.
    """
    if quiet or seconds <= PROGRESS_AFTER:
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def _progress_bar(cfg: Config, quiet: bool):
    """A tqdm bar counting ``cfg``'s epochs on stderr, or None (see :func:`show_progress`)."""
    if not show_progress(quiet, sys.stderr, estimate_cost(cfg)[0]):
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is in requirements.txt
        return None
    # leave=False: the bar is erased when done, and the summary table follows as before.
    return tqdm(total=cfg.epochs, desc="training", unit="epoch", leave=False, file=sys.stderr,
                dynamic_ncols=True)


def _train(cfg: Config, quiet: bool, status: _Status) -> Result:
    """Train ``cfg``, with a progress bar on a terminal; ``status.epoch`` follows it."""
    from sim.train import train_comparison  # after validation: errors come fast

    bar = _progress_bar(cfg, quiet)

    def progress(fraction: float) -> None:
        # Called from this (the main) thread, which otherwise only waits for the training
        # threads: a progress callback is what lets Ctrl-C in at once.
        status.epoch = round(fraction * cfg.epochs)
        if bar is not None:
            bar.update(status.epoch - bar.n)

    status.phase = "training"
    try:
        return train_comparison(cfg, progress=progress)
    finally:
        if bar is not None:
            bar.close()


def _open_out_dir(out: str, status: _Status) -> None:
    """Open the ``--out`` folder before training: created, checked writable, locked; or
    :class:`UsageError` saying why it cannot be used. ``status.folder`` holds it even before
    it is open, so that :func:`main` closes it however the command ends."""
    from sim.export.folder import FolderError, OutputFolder

    status.out, status.folder = out, OutputFolder(out)
    try:
        status.folder.open()
    except FolderError as exc:
        raise UsageError(f"{status.prog}: --out {out}: {exc}") from None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (0 ok, 2 bad input, 128 + the signal's number when
    interrupted: 130 for Ctrl-C).

    Called as the program (``argv`` None), it ignores SIGINT and SIGTERM once its work is done:
    the process is exiting, and a late Ctrl-C must not print a traceback. Called with
    ``argv`` (a test, a script), it puts the signal handlers back.
    """
    status = _Status()
    with _signals_interrupt(restore=argv is not None):
        try:
            try:
                return _main(argv, status)
            finally:  # inside the outer try: an interrupt during the cleanup is reported too
                if status.folder is not None:  # releases the lock, removes the temp folder
                    status.folder.close()
                if argv is None:
                    _ignore_signals()
        except KeyboardInterrupt as exc:
            _ignore_signals()
            if status.folder is not None:
                status.folder.close()  # before saying what the folder holds
            print(status.interrupted(), file=sys.stderr)
            return 128 + getattr(exc, "signum", signal.SIGINT)


def _main(argv: Sequence[str] | None, status: _Status) -> int:
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        status.prog = f"python -m sim {args.command}"
        if args.command == "presets":
            from sim.sweep.presets import SWEEP_PRESETS

            for p in PRESETS.values():
                print(f"{p.name:14s} {p.label}")
            print("\nSweeps (python -m sim sweep --preset NAME --out DIR):")
            for p in SWEEP_PRESETS.values():
                print(f"{p.name:14s} {p.label}")
            return 0
        if args.command == "sweep":
            from sim.sweep.cli import sweep_main

            return sweep_main(args, status)
        if args.command == "schemes":
            print(_list_schemes())
            return 0
        cfg = config_from_args(args)
        formats: list[str] = []
        if args.command == "export":
            formats = [f.strip().lower() for f in args.format.split(",") if f.strip()]
            bad = [f for f in formats if f not in FORMATS]
            if bad or not formats:
                raise UsageError(f"--format: unknown format {quote(bad[0] if bad else '')}; "
                                 f"choose from {', '.join(FORMATS)}")
        if args.out:  # before training: a bad or busy folder fails fast
            _open_out_dir(args.out, status)
    except UsageError as exc:
        text = str(exc)
        if not text.startswith("python -m sim"):  # argparse's own errors carry the prefix
            text = f"{status.prog}: {text}"
        print(text, file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(f"python -m sim {args.command}: {exc}", file=sys.stderr)
        return 2

    result = _train(cfg, args.quiet, status)
    status.phase = "report"
    try:
        return _report(args, cfg, result, formats, status)
    except OSError as exc:  # e.g. the disk filled up while writing
        print(f"{status.prog}: cannot write the files ({exc.strerror or exc}){status.holds()}",
              file=sys.stderr)
        return 2


def _say(text: str) -> None:
    """Print ``text`` to stdout. Once stdout is closed (``| head``) the rest is dropped, and
    the files are still written: they do not depend on who reads the table."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _report(args: argparse.Namespace, cfg: Config, result, formats: list[str],
            status: _Status) -> int:
    if args.command == "run":
        if args.json:
            _say(json.dumps({"config": cfg.to_dict(), "runs": summary_rows(result)}, indent=2))
        else:
            _say(format_summary(result))
        if args.out:
            from sim.export import write_run_files

            status.phase = "writing"
            write_run_files(result, status.folder.stage())
            paths = status.folder.commit()
            if not args.json:
                _say("\nwrote " + ", ".join(str(p) for p in paths))
        return 0
    return _export(result, status.folder, formats, status)


def _export(result: Result, folder: OutputFolder, formats: list[str],
            status: _Status) -> int:
    from sim import export

    _say(format_summary(result))
    status.phase = "writing"
    try:
        from sim.charts import all_figures

        figures = all_figures(result)
        paths = export.export_files(result, figures, folder.stage(), formats)
    except export.ExportUnavailable as exc:
        if exc.written:  # the other formats, as when written in place
            folder.commit()
        print(f"{status.prog}: {exc}", file=sys.stderr)
        return 2
    folder.commit()
    _say("\nwrote " + ", ".join(str(folder.path / p.name) for p in paths))
    return 0


# InitSpec is re-exported for users scripting the CLI's syntax.
__all__ = ["InitSpec", "UsageError", "config_from_args", "format_summary", "main", "parse_init"]
