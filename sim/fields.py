"""The table of experiment settings: every setting declared once, every interface derived.

Each row of :data:`FIELDS` is one setting of :class:`sim.config.Config`: its name, kind,
bounds, default, label and help text, its URL parameter, its command-line flag, its sidebar
widget and when that widget is shown. From this one table come

* the :class:`~sim.config.Config` dataclass's fields and defaults, and its validation (one
  message style, :mod:`sim.validate`; ``ConfigError.field`` names the row);
* the URL codec (:mod:`sim.share`: ``?samples=256&act=tanh``);
* the command line's flags (:mod:`sim.cli`: ``--samples 256 --activation tanh``);
* the dashboard's sidebar widgets (:mod:`sim.app.sidebar`);
* the README's table of URL parameters (:func:`url_table_markdown`, checked by a test).

Adding a setting is one row here plus its use in the engine (the way TensorFlow Playground's
``State.PROPS`` drives its URL, or scikit-learn's ``_parameter_constraints`` its messages).
The initializations (``inits``) are a list of :class:`~sim.config.InitSpec` with their own
syntax; they sit between ``loss`` and ``seeds`` in the config and the URL
(:data:`INITS_AFTER`).

The rows' order is the config's order: it fixes the JSON key order, hence the config hash
in file names, and the order of URL parameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sim.activations import ACTIVATIONS
from sim.conv import MAX_CONV_LAYERS, MAX_FILTERS, MAX_KERNEL, MAX_POOL
from sim.datasets import DATASETS, IMAGE_SIZE, IMAGE_SIZE_RANGE
from sim.losses import LOSSES, resolve_loss
from sim.optimizers import OPTIMIZERS
from sim.validate import ConfigError, check_choice, check_float, check_int, quote

MAX_HIDDEN_LAYERS = 64
MAX_UNITS = 2048
MAX_EPOCHS = 100_000
MAX_SEEDS = 20
MAX_SNAPSHOTS = 200
MAX_SAMPLES = 100_000

DTYPES = ("float64", "float32")

#: ``noise`` given as this text (URL, flag) means the dataset's own noise (``null`` in JSON).
NOISE_DEFAULT = "default"

#: The sidebar's sections and the command line's argument groups, in order.
GROUPS = {"network": "Network", "data": "Data", "training": "Training"}


def format_number(x: float | int) -> str:
    """Shortest text that reads back as exactly ``x``: ``1``, ``0.1``, ``1e-05``, ``1e20``.

    Integral floats lose their ``.0`` (``float("1") == 1.0``); no ``+`` appears, because a
    ``+`` in a query string may be read back as a space.
    """
    if isinstance(x, int):
        return str(x)
    if x.is_integer() and abs(x) < 1e15 and math.copysign(1.0, x) > 0:
        return str(int(x))
    return repr(x).replace("e+", "e")


def _list_items(value: Any) -> list[Any] | None:
    """The entries of a list setting: a list or tuple as it is, a text split at its commas
    (each entry stripped; empty text: no entry); None for anything else."""
    if isinstance(value, str):
        text = value.strip()
        return [] if text == "" else [t.strip() for t in text.split(",")]
    if isinstance(value, (list, tuple)):
        return list(value)
    return None


def parse_hidden(value: Any) -> tuple[int, ...]:
    """Hidden layer sizes from a list of ints or a text like ``"8, 8"``.

    At least one hidden layer is required: the lab is about hidden units.

    Raises
    ------
    ConfigError
        Naming the field ``hidden`` and the offending entry.
    """
    items = _list_items(value)
    if items is None:
        raise ConfigError(
            f"hidden must be a list of layer sizes such as [8, 8] or '8, 8'. "
            f"Got {quote(value)}.", "hidden")
    if not items:
        raise ConfigError("hidden must list at least one hidden layer size, such as [8] or "
                          "'8, 8'. Got an empty list.", "hidden")
    if len(items) > MAX_HIDDEN_LAYERS:
        raise ConfigError(
            f"hidden must have at most {MAX_HIDDEN_LAYERS} layers. Got {len(items)} layers.",
            "hidden")
    sizes = []
    for i, item in enumerate(items, start=1):
        if isinstance(item, str) and item == "":
            raise ConfigError(f"hidden: layer {i} is empty; write sizes separated by commas, "
                              f"such as '8, 8'. Got {quote(value)}.", "hidden")
        sizes.append(check_int(f"hidden layer {i}", item, 1, MAX_UNITS, field="hidden"))
    return tuple(sizes)


def parse_conv(value: Any) -> tuple[tuple[int, int], ...]:
    """Convolution layers from a text like ``"8x3, 16x3"`` (filters x kernel size per layer)
    or a list of pairs ``[[8, 3], [16, 3]]``; empty text or list: none.

    Raises
    ------
    ConfigError
        Naming the field ``conv`` and the offending entry.
    """
    example = "such as '8x3' (8 filters of 3x3) or '8x3, 16x3' (two layers)"
    items = _list_items(value)
    if items is None:
        raise ConfigError(f"conv must list conv layers as filters x kernel size, {example}. "
                          f"Got {quote(value)}.", "conv")
    if len(items) > MAX_CONV_LAYERS:
        raise ConfigError(f"conv must have at most {MAX_CONV_LAYERS} layers. Got "
                          f"{len(items)} layers.", "conv")
    layers = []
    for i, item in enumerate(items, start=1):
        if isinstance(item, str):
            parts = [t.strip() for t in item.lower().replace("×", "x").split("x")]
        elif isinstance(item, (list, tuple)):
            parts = list(item)
        else:
            parts = [item]
        if len(parts) != 2 or any(isinstance(x, str) and x == "" for x in parts):
            raise ConfigError(f"conv layer {i} must be filters x kernel size, {example}. "
                              f"Got {quote(item)}.", "conv")
        filters = check_int(f"conv layer {i}: filters", parts[0], 1, MAX_FILTERS, field="conv")
        kernel = check_int(f"conv layer {i}: kernel size", parts[1], 1, MAX_KERNEL,
                           field="conv")
        layers.append((filters, kernel))
    return tuple(layers)


def conv_text(layers) -> str:
    """``8x3,16x3``: the conv layers as the URL and the flag write them ('' for none)."""
    return ",".join(f"{int(f)}x{int(k)}" for f, k in layers)


def layers_text(sizes) -> str:
    """``2 → 8 → 8 → 1``, with runs of equal sizes shortened: ``2 → 32 ×30 → 1``."""
    parts: list[str] = []
    sizes = [str(x) for x in sizes]
    i = 0
    while i < len(sizes):
        j = i
        while j + 1 < len(sizes) and sizes[j + 1] == sizes[i]:
            j += 1
        count = j - i + 1
        parts.append(f"{sizes[i]} ×{count}" if count > 2 else " → ".join([sizes[i]] * count))
        i = j + 1
    return " → ".join(parts)


@dataclass(frozen=True)
class Field:
    """One experiment setting (a row of :data:`FIELDS`).

    Attributes
    ----------
    name : str
        The config field (``Config.<name>``, the JSON key, the widget's key).
    kind : {"int", "float", "choice", "hidden", "conv", "noise", "loss"}
        How values are checked and written: numbers within bounds, a name from
        ``choices``, layer sizes, conv layers (``8x3,16x3``), a noise level or ``None``
        (the dataset's own), ``auto`` or a loss name.
    default : object
        The value when the setting is left out.
    label : str
        What people read: the widget's label, the URL table's description.
    help : str
        One or two sentences for the widget's tooltip and the flag's ``--help``.
    group : str
        A key of :data:`GROUPS`: the sidebar section and the ``--help`` group.
    url : str
        The URL query parameter (``samples`` for ``n_samples``).
    flag : str
        The command-line flag (``--samples``).
    low, high : number or None
        Bounds (inclusive unless ``low_open``/``high_open``).
    choices : callable or None
        Returns the allowed names (read from a registry when asked, so a new registry
        entry reaches every menu, flag and URL check).
    option_label : callable or None
        The menu text of a choice (``"Two moons"`` for ``moons``).
    message_name : str or None
        The setting as messages name it (``lr (learning rate)``); default ``name``.
    widget : {"number", "slider", "select", "radio", "text", None}
        The sidebar widget; None: no widget (kept as given, e.g. ``snapshots``).
    step, fmt : number, str
        The number widget's step and format.
    widget_low, widget_high : number or None
        The widget's own ends where they are narrower than the config's (a slider
        cannot show a value beyond its end): a link or file asking for more is refused by
        the dashboard (the command line takes it).
    shown : callable or None
        ``shown(settings) -> bool`` from the other settings (a mapping of field names to
        values): whether the widget applies (``n_classes`` for multi-class data only).
        A hidden widget keeps its value.
    resets : tuple of str
        Fields the sidebar sets back when this one changes (a new dataset brings its own
        noise level, learning rate and loss), to their :meth:`reset_value`, except a value
        the user set by hand that the field's row :meth:`keeps`.
    reset_to : callable or None
        ``reset_to(settings) -> value``: what such a reset sets, from the other settings
        (the new dataset's learning rate); None: ``default``. Only the sidebar's reset uses
        it: a config, link or file without the field gets ``default``, as before.
    keep_by_hand : callable or None
        ``keep_by_hand(value, settings) -> bool``: whether a value the user set by hand in
        this session survives a reset (a typed learning rate does; a chosen loss while it
        fits the new dataset); None: never (a noise level means something else on each
        dataset).
    caption : callable or None
        ``caption(value) -> str | None``: a line shown under the widget.
    metavar : str
        The flag's placeholder in ``--help``.
    note : str
        A few words the URL table adds to the rule (``0 = full batch``).
    off_when_hidden : bool
        The setting only means something where its widget is shown (conv layers on image
        data): the dashboard then gives the default while the widget is hidden, whatever
        the widget still holds.
    omit_default : bool
        Left out of the config's JSON (and so of its hash) at its default: a setting added
        after configurations were shared (``conv``, ``pool``, ``image_size``), so that every
        earlier configuration keeps its JSON, file names and links.
    """

    name: str
    kind: str
    default: Any
    label: str
    help: str
    group: str
    url: str
    flag: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: Callable[[], tuple[str, ...]] | None = None
    option_label: Callable[[str], str] | None = None
    message_name: str | None = None
    widget: str | None = "number"
    step: float | None = None
    fmt: str | None = None
    widget_low: float | None = None
    widget_high: float | None = None
    shown: Callable[[Mapping[str, Any]], bool] | None = None
    resets: tuple[str, ...] = ()
    reset_to: Callable[[Mapping[str, Any]], Any] | None = None
    keep_by_hand: Callable[[Any, Mapping[str, Any]], bool] | None = None
    caption: Callable[[Any], str | None] | None = None
    metavar: str = "X"
    note: str = ""
    off_when_hidden: bool = False
    omit_default: bool = False

    # ------------------------------------------------------------------ checking
    @property
    def who(self) -> str:
        return self.message_name or self.name

    def options(self) -> tuple[str, ...]:
        """The allowed names of a choice (or ``auto`` and the losses)."""
        if self.kind == "loss":
            return ("auto", *LOSSES)
        return tuple(self.choices()) if self.choices is not None else ()

    def check(self, value: Any) -> Any:
        """``value`` converted and checked, or :class:`ConfigError` with ``field=name``.

        Text is accepted for every kind (URL parameters and flags arrive as text).
        """
        if self.kind == "int":
            return check_int(self.who, value, int(self.low), None if self.high is None
                             else int(self.high), field=self.name)
        if self.kind == "float":
            return check_float(self.who, value, self.low, self.high, self.low_open,
                               self.high_open, field=self.name)
        if self.kind == "noise":
            if value is None:
                return None
            return check_float(self.who, value, self.low, self.high, field=self.name)
        if self.kind == "choice":
            return check_choice(self.who, value, self.options(), field=self.name)
        if self.kind == "hidden":
            return parse_hidden(value)
        if self.kind == "conv":
            return parse_conv(value)
        if self.kind == "loss":
            if value == "auto":
                return "auto"
            if not isinstance(value, str):
                raise ConfigError(f"loss must be auto or a loss name ({', '.join(LOSSES)}). "
                                  f"Got {quote(value)}.", self.name)
            try:
                return resolve_loss(value)
            except ValueError as exc:
                raise ConfigError(f"loss: {exc}", self.name) from None
        raise AssertionError(f"unknown field kind {self.kind!r}")

    # ------------------------------------------------------------------ text (URL, flags)
    def to_text(self, value: Any) -> str:
        """The value as URL text: ``8,8``, ``default``, ``0.5``, ``tanh``."""
        if self.kind == "hidden":
            return ",".join(str(int(v)) for v in value)
        if self.kind == "conv":
            return conv_text(value)
        if self.kind == "noise" and value is None:
            return NOISE_DEFAULT
        return value if isinstance(value, str) else format_number(value)

    def from_text(self, text: str) -> Any:
        """URL or flag text as a value for :meth:`check` (numbers stay text: the checks
        parse them and their messages quote what the user typed)."""
        if self.kind == "noise" and text.strip() == NOISE_DEFAULT:
            return None
        return text

    def applies(self, settings: Mapping[str, Any]) -> bool:
        """Whether the widget is shown for these settings."""
        try:
            return self.shown is None or bool(self.shown(settings))
        except (KeyError, TypeError, ValueError):
            return True

    def reset_value(self, settings: Mapping[str, Any]) -> Any:
        """The value a reset (another row's ``resets``) sets, for the new ``settings``."""
        return self.default if self.reset_to is None else self.reset_to(settings)

    def keeps(self, value: Any, settings: Mapping[str, Any]) -> bool:
        """Whether ``value``, set by hand, survives a reset under the new ``settings``."""
        return self.keep_by_hand is not None and bool(self.keep_by_hand(value, settings))

    # ------------------------------------------------------------------ documentation
    def rule(self) -> str:
        """What the value must be, for the URL table: ``integer 4-100000``."""
        if self.kind == "int":
            return f"integer {_g(self.low)}-{_g(self.high)}" if self.high is not None \
                else f"integer >= {_g(self.low)}"
        if self.kind in ("float", "noise"):
            lo = "(" if self.low_open else "["
            hi = ")" if self.high_open else "]"
            text = f"number in {lo}{_g(self.low)}, {_g(self.high)}{hi}"
            return text + (f", or `{NOISE_DEFAULT}` (the dataset's own)"
                           if self.kind == "noise" else "")
        if self.kind == "hidden":
            return f"layer sizes such as `8,8` (1-{MAX_HIDDEN_LAYERS} layers of 1-{MAX_UNITS})"
        if self.kind == "conv":
            return (f"filters x kernel such as `8x3` or `8x3,16x3` (up to {MAX_CONV_LAYERS} "
                    f"layers of 1-{MAX_FILTERS} filters, kernel 1-{MAX_KERNEL}); empty: none")
        return ", ".join(f"`{o}`" for o in self.options())

    def rule_text(self) -> str:
        """:meth:`rule` and the row's note."""
        return self.rule() + (f"; {self.note}" if self.note else "")


def _g(x: float | None) -> str:
    return "" if x is None else format_number(x) if isinstance(x, int) else f"{x:g}"


def _is_multiclass(settings: Mapping[str, Any]) -> bool:
    """Whether the number of classes is a setting (blobs; the image datasets have 4)."""
    spec = DATASETS.get(settings["dataset"])
    return spec is not None and spec.task == "multiclass" and not spec.classes


def _is_image(settings: Mapping[str, Any]) -> bool:
    spec = DATASETS.get(settings["dataset"])
    return spec is not None and spec.is_image


def _has_conv(settings: Mapping[str, Any]) -> bool:
    if not _is_image(settings):
        return False
    try:
        return bool(parse_conv(settings["conv"]))
    except ConfigError:
        return True


def _conv_caption(value: Any) -> str | None:
    try:
        layers = parse_conv(value)
    except ConfigError:
        return None
    if not layers:
        return "No conv layers: the pixels go straight into the hidden layers."
    return "Conv: " + " → ".join(f"{f} filters {k}×{k}" for f, k in layers)


def _uses(option: str) -> Callable[[Mapping[str, Any]], bool]:
    """``shown`` for a setting that only some optimizers read."""
    def shown(settings: Mapping[str, Any]) -> bool:
        opt = OPTIMIZERS.get(settings["optimizer"])
        return opt is not None and option in opt.fields
    return shown


def _dataset_lr(settings: Mapping[str, Any]) -> float:
    """The learning rate that trains the new dataset (its spec's ``default_lr``)."""
    spec = DATASETS.get(settings["dataset"])
    return FIELDS["lr"].default if spec is None else spec.default_lr


def _loss_fits(value: Any, settings: Mapping[str, Any]) -> bool:
    """Whether the loss ``value`` fits the dataset of ``settings`` (``auto`` always does)."""
    from sim.config import ALLOWED_LOSSES  # sim.config imports this module

    spec = DATASETS.get(settings["dataset"])
    return value == "auto" or (spec is not None and value in ALLOWED_LOSSES[spec.task])


def _hidden_caption(value: Any) -> str | None:
    try:
        return f"Layers: input → {layers_text(parse_hidden(value))} → output"
    except ConfigError:
        return None


def _dataset_caption(value: Any) -> str | None:
    spec = DATASETS.get(value)
    return spec.summary if spec is not None else None


def _optimizer_caption(value: Any) -> str | None:
    opt = OPTIMIZERS.get(value) if isinstance(value, str) else None
    return opt.help if opt is not None else None


def _loss_label(name: str) -> str:
    return "automatic (from the dataset)" if name == "auto" else LOSSES[name].label


#: Every experiment setting but the initializations, in the config's order.
FIELDS: dict[str, Field] = {f.name: f for f in [
    Field("dataset", "choice", "moons", "Dataset",
          "The training data. Circles, XOR, moons and spirals cannot be separated by one "
          "neuron.", "data", "dataset", "--dataset", choices=lambda: tuple(DATASETS),
          option_label=lambda n: DATASETS[n].label, widget="select", resets=("noise", "lr", "loss"),
          caption=_dataset_caption, metavar="NAME"),
    Field("n_samples", "int", 256, "Samples",
          "Number of points, training and test together.", "data", "samples", "--samples",
          low=4, high=MAX_SAMPLES, step=64, metavar="N"),
    Field("noise", "noise", None, "Noise",
          "How far points scatter from the clean shape (standard deviation); by default the "
          "dataset's own level.", "data", "noise", "--noise", low=0.0, high=10.0,
          widget="slider", step=0.01, widget_high=2.0),
    Field("test_fraction", "float", 0.25, "Test fraction",
          "Share of the points held out to measure the test loss.", "data", "test",
          "--test-fraction", low=0.0, high=0.9, widget="slider", step=0.05, metavar="F"),
    Field("data_seed", "int", 0, "Data seed",
          "Seed of the random generator that draws the data.", "data", "data_seed", "--seed",
          low=0, high=2**32 - 1, step=1, metavar="S"),
    Field("n_classes", "int", 3, "Classes",
          "Number of classes (blobs) for multi-class datasets.", "data", "classes",
          "--classes", low=2, high=10, step=1, shown=_is_multiclass, metavar="K",
          note="multi-class datasets (blobs) only"),
    Field("image_size", "int", IMAGE_SIZE, "Image size",
          "Side of the images in pixels.", "data", "size", "--image-size",
          low=IMAGE_SIZE_RANGE[0], high=IMAGE_SIZE_RANGE[1], step=1, shown=_is_image,
          metavar="N", note="image datasets (bars, shapes) only", off_when_hidden=True,
          omit_default=True),
    Field("conv", "conv", (), "Conv layers",
          "Convolution layers before the hidden layers, as filters x kernel size separated "
          "by commas: '8x3' is one layer of 8 filters of 3×3, '8x3, 16x3' two layers; empty "
          "for none. Image datasets only.", "network", "conv", "--conv", widget="text",
          shown=_is_image, caption=_conv_caption, metavar="8x3",
          note="image datasets (bars, shapes) only", off_when_hidden=True, omit_default=True),
    Field("pool", "int", 0, "Max pooling",
          "P×P max pooling after each conv layer (2 halves the feature maps' side); 0 for "
          "none.", "network", "pool", "--pool", low=0, high=MAX_POOL, step=1, shown=_has_conv,
          metavar="P", note="0 = none; with conv layers only", off_when_hidden=True,
          omit_default=True),
    Field("hidden", "hidden", (8, 8), "Hidden layer sizes",
          "Units per hidden layer, separated by commas: '8' is one hidden layer of 8 units, "
          "'8, 8' two layers; input and output sizes follow from the dataset.", "network",
          "hidden", "--hidden", widget="text", caption=_hidden_caption, metavar="8,8"),
    Field("activation", "choice", "tanh", "Activation",
          "The hidden units' nonlinearity. With all-zero weights, sigmoid units stay "
          "identical; tanh, ReLU and the others output 0 and never learn.", "network", "act",
          "--activation", choices=lambda: tuple(ACTIVATIONS), widget="select", metavar="NAME"),
    Field("loss", "loss", "auto", "Loss",
          "auto (automatic) uses binary cross-entropy for two classes, cross-entropy for more, "
          "squared error for regression.", "network", "loss", "--loss",
          option_label=_loss_label, widget="select", keep_by_hand=_loss_fits,
          metavar="NAME"),
    Field("seeds", "int", 1, "Seeds per initialization",
          "Runs per initialization with different random draws (seeds 0..K-1); curves show "
          "the mean and a band from the lowest to the highest run.", "training", "seeds",
          "--seeds", low=1, high=MAX_SEEDS, step=1, metavar="K"),
    Field("optimizer", "choice", "sgd", "Optimizer",
          "Plain SGD shows the symmetry most clearly; Adam adapts the step size per weight "
          "but cannot break the symmetry either.", "training", "opt", "--optimizer",
          choices=lambda: tuple(OPTIMIZERS), option_label=lambda n: OPTIMIZERS[n].label,
          widget="select", caption=_optimizer_caption, metavar="NAME"),
    Field("lr", "float", 0.5, "Learning rate",
          "Step size of each update. Must be greater than 0. In the dashboard, picking a "
          "dataset sets a rate that trains it, unless you typed one.", "training", "lr", "--lr",
          low=0.0, high=100.0, low_open=True, message_name="lr (learning rate)", step=0.01,
          fmt="%g", reset_to=_dataset_lr, keep_by_hand=lambda value, settings: True),
    Field("momentum", "float", 0.9, "Momentum",
          "Fraction of the previous update carried into the next.", "training", "momentum",
          "--momentum", low=0.0, high=1.0, high_open=True, step=0.05, fmt="%g",
          shown=_uses("momentum"), note="read by the momentum optimizer"),
    Field("epochs", "int", 500, "Epochs", "Passes over the training data.", "training",
          "epochs", "--epochs", low=1, high=MAX_EPOCHS, step=100, metavar="N"),
    Field("batch_size", "int", 0, "Batch size",
          "Samples per update; 0 means the whole training set (full batch: one update per "
          "epoch).", "training", "batch", "--batch-size", low=0, high=MAX_SAMPLES, step=16,
          metavar="N", note="0 = full batch"),
    Field("l2", "float", 0.0, "L2 penalty",
          "Weight decay: adds l2/2 × the sum of squared weights to the loss.", "training",
          "l2", "--l2", low=0.0, high=10.0, step=1e-4, fmt="%g"),
    Field("dropout", "float", 0.0, "Dropout",
          "Share of hidden units switched off at random at each step. It breaks the "
          "symmetry of sigmoid units, not of tanh/ReLU ones.", "training", "dropout",
          "--dropout", low=0.0, high=0.9, widget="slider", step=0.05, metavar="P"),
    Field("dtype", "choice", "float64", "Precision",
          "float64 keeps identical units exactly identical; float32 rounding can slowly "
          "break the symmetry (see the symmetry gap chart).", "training", "dtype", "--dtype",
          choices=lambda: DTYPES, widget="radio", metavar="NAME"),
    Field("snapshots", "int", 151, "Snapshots",
          "Most epochs whose weights and effective-neuron metrics are stored.", "training",
          "snapshots", "--snapshots", low=2, high=MAX_SNAPSHOTS, widget=None, metavar="N"),
]}

#: The initializations come right after this field, in the config, its JSON and the URL.
INITS_AFTER = "loss"

#: URL parameter -> config field, in the URL's order.
URL_FIELDS: dict[str, str] = {f.url: f.name for f in FIELDS.values()}


def url_name(field: str | None) -> str | None:
    """The URL parameter of a config field (``n_samples`` -> ``samples``), or None."""
    f = FIELDS.get(field) if field else None
    return f.url if f is not None else None


def url_table_markdown() -> str:
    """The README's table of URL parameters (one row per setting, then the
    initializations and the view), made from :data:`FIELDS`."""
    rows = ["| parameter | setting | value | command line |", "|---|---|---|---|"]
    for f in FIELDS.values():
        rows.append(f"| `{f.url}` | {f.label} (`{f.name}`) | {f.rule_text()} | `{f.flag}` |")
        if f.name == INITS_AFTER:
            rows += [
                "| `left`, `right`, then `init3` ... `init8` | the initializations' weight "
                "schemes | a scheme name, e.g. `xavier_uniform` | `--init` (repeated) |",
                "| `left.NAME`, e.g. `left.gain=1`, `right.mode=fan_out` | a scheme parameter "
                "| per scheme | `--init NAME:key=value` |",
                "| `left.scale`, `left.bias`, `left.bias.NAME` | scale factor, bias scheme and "
                "its parameters | number; a bias scheme; per scheme | `--init-scale`, "
                "`--bias-init` |",
            ]
    return "\n".join(rows)


__all__ = [
    "DTYPES",
    "FIELDS",
    "Field",
    "GROUPS",
    "INITS_AFTER",
    "MAX_EPOCHS",
    "MAX_HIDDEN_LAYERS",
    "MAX_SAMPLES",
    "MAX_SEEDS",
    "MAX_SNAPSHOTS",
    "MAX_UNITS",
    "NOISE_DEFAULT",
    "URL_FIELDS",
    "conv_text",
    "format_number",
    "layers_text",
    "parse_conv",
    "parse_hidden",
    "url_name",
    "url_table_markdown",
]


if __name__ == "__main__":  # python -m sim.fields: the README's URL table
    print(url_table_markdown())
