"""Small synthetic datasets, generated with numpy from a seed.

Every dataset is produced by a generator function with the signature
``fn(n_samples, noise, rng, n_classes) -> (X, y)`` and registered in
:data:`DATASETS` under the name the user sees. :func:`make_dataset` is the public
boundary: it validates the arguments, creates the ``np.random.Generator`` from the
seed, calls the generator, shuffles and splits into train and test parts.

Conventions
-----------
- ``X`` is float64 of shape ``(n_samples, n_features)``.
- Regression targets ``y`` are float64 of shape ``(n_samples, outputs)``, one column per
  output unit (``DatasetSpec.outputs``: 1 for every regression but ``teacher``'s 8).
- Classification labels ``y`` are int64 of shape ``(n_samples,)`` with values in
  ``0 .. n_classes - 1``; classes are balanced (counts differ by at most one).
- Generators return points grouped by class (or in parameter order); shuffling is
  done once, in :func:`make_dataset`.
- Inner generator functions trust their inputs; validation happens only in
  :func:`make_dataset`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.validate import ConfigError, check_float, check_int, quote

TASKS = ("regression", "binary", "multiclass")

N_SAMPLES_RANGE = (4, 100_000)
NOISE_RANGE = (0.0, 10.0)
TEST_FRACTION_RANGE = (0.0, 0.9)
N_CLASSES_RANGE = (2, 10)
MIN_TRAIN_SAMPLES = 2

# Fixed affine transform that standardises the noise-free moons (see `_moons`):
# the exact mean and standard deviation of each coordinate when the curve
# parameter t is uniform on [0, pi]. Constants (not sample statistics) keep the
# transform identical for every seed, sample size and split.
MOONS_CENTRE = np.array([0.5, 0.25])
MOONS_SCALE = np.array(
    [math.sqrt(0.75), math.sqrt(0.5 - 4.0 / math.pi**2 + (2.0 / math.pi - 0.25) ** 2)]
)

SPIRAL_TURNS = 1.5
SPIRAL_INNER_RADIUS = 0.1

BLOBS_RADIUS = 2.0

#: Inputs and outputs of the ``teacher`` dataset (Saxe, McClelland & Ganguli 2014).
TEACHER_SIZE = 8
#: The teacher's singular values: geometric from 3 down to 0.3, largest first, so a deep
#: linear network learns its modes one after another (mode ``s`` takes a time ~ ``1/s``).
TEACHER_SINGULAR_VALUES = np.geomspace(3.0, 0.3, TEACHER_SIZE)
#: Seed of the teacher's singular vectors: the same teacher for every ``seed`` of the data.
TEACHER_SEED = 2014

GeneratorFn = Callable[[int, float, np.random.Generator, int], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class DatasetSpec:
    """Description of one dataset in the registry.

    Attributes
    ----------
    name : str
        User-facing name, the key in :data:`DATASETS`.
    label : str
        Human-readable label for menus, e.g. ``"Two moons"``.
    task : str
        One of :data:`TASKS`.
    n_features : int
        Number of input features (columns of ``X``).
    summary : str
        One sentence for a newcomer: what the data is and whether one neuron can
        solve it.
    default_noise : float
        Noise level used when :func:`make_dataset` gets ``noise=None``.
    default_lr : float
        Learning rate the dashboard's sidebar sets when the user picks this dataset (unless
        the user typed one): with the default lesson's other settings (8 sigmoid units,
        plain SGD, 500 full-batch epochs, loss ``auto``) it trains the random side well
        without diverging, so random beats zeros on every dataset. Found by experiment
        (``tests/test_dataset_defaults.py`` checks it); a config or link that omits ``lr``
        still gets the config's own default.
    fn : callable
        ``fn(n_samples, noise, rng, n_classes) -> (X, y)``; returns unshuffled data. For an
        image dataset ``fn(n_samples, noise, rng, n_classes, size)``.
    classes : int
        A fixed number of classes (the image datasets' 4); 0: ``n_classes`` decides (blobs)
        or the task does.
    channels : int
        Image datasets: channels per image (their ``n_features`` is ``channels * size**2``
        for the ``image_size`` setting, see :meth:`features`); 0 for point datasets.
    outputs : int
        Regression: columns of ``y`` (output units of the network); 1 but for ``teacher``.
        Unused by classification (its output units come from the classes).
    """

    name: str
    label: str
    task: str
    n_features: int
    summary: str
    default_noise: float
    default_lr: float
    fn: GeneratorFn
    classes: int = 0
    channels: int = 0
    outputs: int = 1

    @property
    def is_image(self) -> bool:
        """Whether each sample is an image (``channels x size x size``)."""
        return self.channels > 0

    def image_shape(self, size: int) -> tuple[int, int, int] | None:
        """``(C, H, W)`` of one image at ``image_size`` ``size``; None for point data."""
        return (self.channels, int(size), int(size)) if self.is_image else None

    def features(self, size: int = 12) -> int:
        """Input features: ``n_features``, or ``channels * size**2`` for images."""
        return self.channels * int(size) ** 2 if self.is_image else self.n_features

    def class_count(self, n_classes: int) -> int:
        """Classes of the data for the ``n_classes`` setting: 0 for regression."""
        if self.task == "regression":
            return 0
        if self.classes:
            return self.classes
        return n_classes if self.task == "multiclass" else 2


# eq=False: the fields are arrays, for which the generated __eq__/__hash__ would
# raise ("truth value of an array is ambiguous"); identity semantics are enough.
@dataclass(frozen=True, eq=False)
class Dataset:
    """A shuffled train/test split of one generated dataset.

    Attributes
    ----------
    name : str
        Registry name of the dataset.
    task : str
        One of :data:`TASKS`.
    n_classes : int
        0 for regression, 2 for binary, K for multiclass.
    X_train : ndarray of shape (n_train, n_features)
        float64 training inputs.
    y_train : ndarray of shape (n_train, outputs) or (n_train,)
        float64 targets for regression (``outputs`` columns, 1 but for ``teacher``); int64
        labels for classification.
    X_test : ndarray of shape (n_test, n_features)
        float64 test inputs (``n_test`` may be 0).
    y_test : ndarray of shape (n_test, outputs) or (n_test,)
        Same dtype and layout as ``y_train``.
    image_shape : (C, H, W) or None
        For image data: each row of ``X_*`` is one image flattened in ``(C, H, W)`` order
        (``X.reshape(-1, C, H, W)`` gives the images); None for points.
    """

    name: str
    task: str
    n_classes: int
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    image_shape: tuple[int, int, int] | None = None

    @property
    def n_features(self) -> int:
        """Number of input features."""
        return int(self.X_train.shape[1])

    @property
    def n_train(self) -> int:
        """Number of training samples."""
        return int(self.X_train.shape[0])

    @property
    def n_test(self) -> int:
        """Number of test samples."""
        return int(self.X_test.shape[0])


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _split_counts(n_samples: int, n_parts: int) -> np.ndarray:
    """Split ``n_samples`` into ``n_parts`` counts that differ by at most one.

    Returns
    -------
    ndarray of shape (n_parts,)
        int64 counts summing to ``n_samples``; the first ``n_samples % n_parts``
        parts get one extra sample.
    """
    counts = np.full(n_parts, n_samples // n_parts, dtype=np.int64)
    counts[: n_samples % n_parts] += 1
    return counts


def _labels(counts: np.ndarray) -> np.ndarray:
    """Label vector ``[0]*counts[0] + [1]*counts[1] + ...`` as int64, shape (sum(counts),)."""
    return np.repeat(np.arange(len(counts), dtype=np.int64), counts)


def toy_target(X: np.ndarray) -> np.ndarray:
    """Noise-free target of the ``"toy"`` dataset.

    ``u = x1 - x2 + x3`` and ``y = tanh(2u + 1.5) - tanh(2u - 1.5) - 1``.

    The target is a bump along the direction ``(1, -1, 1)``: it rises and falls
    again, so a single sigmoid hidden unit (monotone along its weight vector) leaves
    about two thirds of the variance unexplained and a linear model explains none
    of it. Because ``tanh(z) = 2 * sigmoid(2z) - 1``, it equals
    ``2 * sigmoid(4u + 3) - 2 * sigmoid(4u - 3) - 1``: exactly two sigmoid hidden units
    with a linear output fit it perfectly, but only if the two units differ.
    For ``x ~ U(-1, 1)^3`` the values lie in ``[-1, 0.81]`` with mean about 0.

    Parameters
    ----------
    X : ndarray of shape (n_samples, 3)

    Returns
    -------
    ndarray of shape (n_samples, 1)
    """
    u = X[:, 0] - X[:, 1] + X[:, 2]
    y = np.tanh(2.0 * u + 1.5) - np.tanh(2.0 * u - 1.5) - 1.0
    return y[:, None]


# ---------------------------------------------------------------------------
# Generators: fn(n_samples, noise, rng, n_classes) -> (X, y), unshuffled.
# ---------------------------------------------------------------------------


def _toy(
    n_samples: int, noise: float, rng: np.random.Generator, n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """3 inputs -> 1 output regression: ``x ~ U(-1, 1)^3``, ``y = toy_target(x) + noise * N(0, 1)``.

    Returns
    -------
    X : ndarray of shape (n_samples, 3)
    y : ndarray of shape (n_samples, 1)
    """
    X = rng.uniform(-1.0, 1.0, size=(n_samples, 3))
    y = toy_target(X) + noise * rng.standard_normal((n_samples, 1))
    return X, y


def _xor(
    n_samples: int, noise: float, rng: np.random.Generator, n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Four Gaussian clusters at ``(+-1, +-1)`` with std ``noise``.

    The label is the XOR of the signs of the cluster centre: 0 for ``(1, 1)`` and
    ``(-1, -1)``, 1 for ``(1, -1)`` and ``(-1, 1)``. With large noise a point can
    cross into another quadrant but keeps its cluster's label.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,)
    """
    # Cluster order alternates the classes so that the remainder of n_samples / 4
    # keeps the two class counts within one of each other.
    centres = np.array([[1.0, 1.0], [1.0, -1.0], [-1.0, -1.0], [-1.0, 1.0]])
    cluster_labels = np.array([0, 1, 0, 1], dtype=np.int64)
    counts = _split_counts(n_samples, 4)
    X = np.repeat(centres, counts, axis=0) + noise * rng.standard_normal((n_samples, 2))
    y = np.repeat(cluster_labels, counts)
    return X, y


def _circles(
    n_samples: int, noise: float, rng: np.random.Generator, n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Outer circle of radius 1 (label 0) around an inner circle of radius 0.5 (label 1).

    Like ``sklearn.datasets.make_circles(factor=0.5)``: angles evenly spaced on
    each circle, then Gaussian noise with std ``noise`` added to both coordinates.
    No rescaling.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,)
    """
    counts = _split_counts(n_samples, 2)
    parts = []
    for radius, count in zip((1.0, 0.5), counts, strict=True):
        angle = np.linspace(0.0, 2.0 * np.pi, count, endpoint=False)
        parts.append(radius * np.column_stack([np.cos(angle), np.sin(angle)]))
    X = np.concatenate(parts) + noise * rng.standard_normal((n_samples, 2))
    return X, _labels(counts)


def _moons(
    n_samples: int, noise: float, rng: np.random.Generator, n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, standardised with fixed constants.

    Like ``sklearn.datasets.make_moons``: the upper moon (label 0) is
    ``(cos t, sin t)`` and the lower moon (label 1) is ``(1 - cos t, 0.5 - sin t)``,
    ``t`` evenly spaced on ``[0, pi]``. Gaussian noise with std ``noise`` is added
    in these raw units, then ``X = (X_raw - MOONS_CENTRE) / MOONS_SCALE``, the exact
    mean and std of the noise-free curves, so the features are about zero-mean
    with unit scale.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,)
    """
    counts = _split_counts(n_samples, 2)
    t_upper = np.linspace(0.0, np.pi, counts[0])
    t_lower = np.linspace(0.0, np.pi, counts[1])
    upper = np.column_stack([np.cos(t_upper), np.sin(t_upper)])
    lower = np.column_stack([1.0 - np.cos(t_lower), 0.5 - np.sin(t_lower)])
    X_raw = np.concatenate([upper, lower]) + noise * rng.standard_normal((n_samples, 2))
    X = (X_raw - MOONS_CENTRE) / MOONS_SCALE
    return X, _labels(counts)


def _spirals(
    n_samples: int, noise: float, rng: np.random.Generator, n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals of 1.5 turns inside the unit disc.

    For class ``k`` and ``t`` evenly spaced on ``[0, 1]``: radius
    ``r = 0.1 + 0.9 t`` and angle ``theta = 3 pi t + k pi``, i.e.
    ``x = r (cos theta, sin theta)``; class 1 is class 0 rotated by 180 degrees.
    Gaussian noise with std ``noise`` is added afterwards, so noise-free points
    lie in ``[-1, 1]^2``.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,)
    """
    counts = _split_counts(n_samples, 2)
    parts = []
    for k, count in enumerate(counts):
        t = np.linspace(0.0, 1.0, count)
        radius = SPIRAL_INNER_RADIUS + (1.0 - SPIRAL_INNER_RADIUS) * t
        theta = 2.0 * np.pi * SPIRAL_TURNS * t + k * np.pi
        parts.append(radius[:, None] * np.column_stack([np.cos(theta), np.sin(theta)]))
    X = np.concatenate(parts) + noise * rng.standard_normal((n_samples, 2))
    return X, _labels(counts)


def blob_centres(n_classes: int) -> np.ndarray:
    """Centres of the ``"blobs"`` classes, evenly spaced on a circle of radius 2.

    Centre ``k`` is at angle ``2 pi k / n_classes``, starting on the positive x axis.

    Returns
    -------
    ndarray of shape (n_classes, 2)
    """
    angle = 2.0 * np.pi * np.arange(n_classes) / n_classes
    return BLOBS_RADIUS * np.column_stack([np.cos(angle), np.sin(angle)])


def _blobs(
    n_samples: int, noise: float, rng: np.random.Generator, n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """``n_classes`` isotropic Gaussian blobs with std ``noise`` around :func:`blob_centres`.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,)
    """
    counts = _split_counts(n_samples, n_classes)
    X = np.repeat(blob_centres(n_classes), counts, axis=0)
    X = X + noise * rng.standard_normal((n_samples, 2))
    return X, _labels(counts)


def _sine(
    n_samples: int, noise: float, rng: np.random.Generator, n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """1-D regression: ``x ~ U(-pi, pi)`` (radians, not rescaled), ``y = sin(x) + noise * N(0, 1)``.

    Returns
    -------
    X : ndarray of shape (n_samples, 1)
    y : ndarray of shape (n_samples, 1)
    """
    X = rng.uniform(-np.pi, np.pi, size=(n_samples, 1))
    y = np.sin(X) + noise * rng.standard_normal((n_samples, 1))
    return X, y


def teacher_matrix() -> np.ndarray:
    """The ``teacher`` dataset's linear map ``W_t = U diag(s) V^T``.

    ``s`` is :data:`TEACHER_SINGULAR_VALUES` (3 down to 0.3, geometric); ``U`` and ``V`` are
    orthogonal, the Q factors (signs fixed so that R has a positive diagonal, which makes
    them Haar-distributed) of two Gaussian matrices drawn from a generator seeded with the
    constant :data:`TEACHER_SEED`. The teacher is therefore the same for every data seed,
    sample size and noise: only the samples and the noise come from the seed.

    Returns
    -------
    ndarray of shape (TEACHER_SIZE, TEACHER_SIZE)
        ``W_t``, mapping a column input ``x`` to ``W_t @ x``.
    """
    rng = np.random.default_rng(TEACHER_SEED)
    U, V = (_haar_orthogonal(rng, TEACHER_SIZE) for _ in range(2))
    return (U * TEACHER_SINGULAR_VALUES) @ V.T


def _haar_orthogonal(rng: np.random.Generator, n: int) -> np.ndarray:
    """A random orthogonal matrix of shape (n, n), uniform (Haar) over O(n)."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def _teacher(
    n_samples: int, noise: float, rng: np.random.Generator, n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """8 inputs -> 8 outputs linear regression (Saxe, McClelland & Ganguli 2014):
    ``x ~ N(0, I_8)``, ``y = W_t x + noise * N(0, I_8)`` with ``W_t`` :func:`teacher_matrix`.

    The inputs are white (their correlation is the identity in expectation), Saxe et al.'s
    assumption under which each singular mode of ``W_t`` is learned on its own.

    Returns
    -------
    X : ndarray of shape (n_samples, 8)
    y : ndarray of shape (n_samples, 8)
    """
    X = rng.standard_normal((n_samples, TEACHER_SIZE))
    y = X @ teacher_matrix().T + noise * rng.standard_normal((n_samples, TEACHER_SIZE))
    return X, y


# ---------------------------------------------------------------------------
# Image generators: fn(n_samples, noise, rng, n_classes, size) -> (X, y), unshuffled.
# Images are one channel of size x size pixels, flattened row by row; a stroke is drawn
# from its distance d (in pixels) to the pixel centres: 1 within half a pixel, fading to 0
# at 1.5 pixels. Then Gaussian noise of std ``noise`` is added to every pixel.
# ---------------------------------------------------------------------------

#: The orientations of ``bars``, in degrees (class order).
BAR_ANGLES = (0.0, 45.0, 90.0, 135.0)
#: The classes of ``shapes``.
SHAPE_NAMES = ("square", "circle", "cross", "triangle")
#: Default side of the image datasets, in pixels (the ``image_size`` setting).
IMAGE_SIZE = 12
IMAGE_SIZE_RANGE = (6, 32)


def _stroke(d: np.ndarray) -> np.ndarray:
    return np.clip(1.5 - d, 0.0, 1.0)


def _pixel_grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Column (x) and row (y) coordinates of the pixel centres, shape (1, size, size)."""
    r = np.arange(size, dtype=np.float64)
    return r[None, None, :], r[None, :, None]


def _bars(n_samples: int, noise: float, rng: np.random.Generator, n_classes: int,
          size: int = IMAGE_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """One straight bar across the image, in one of four orientations (the class: 0, 45, 90
    and 135 degrees, see :data:`BAR_ANGLES`), passing through a point jittered up to a fifth
    of the side from the centre.

    An oriented edge filter tells the classes apart at any position: the lesson's case for
    filters that learn different features.

    Returns
    -------
    X : ndarray of shape (n_samples, size * size)
    y : ndarray of shape (n_samples,)
    """
    counts = _split_counts(n_samples, len(BAR_ANGLES))
    y = _labels(counts)
    theta = np.deg2rad(np.asarray(BAR_ANGLES))[y][:, None, None]
    centre = (size - 1) / 2 + rng.uniform(-size / 5, size / 5, size=(n_samples, 2))
    x, yy = _pixel_grid(size)
    dx = x - centre[:, 0, None, None]
    dy = yy - centre[:, 1, None, None]
    # distance to the line through the centre along (cos t, -sin t) (rows grow downwards)
    d = np.abs(dx * np.sin(theta) + dy * np.cos(theta))
    img = _stroke(d) + noise * rng.standard_normal((n_samples, size, size))
    return img.reshape(n_samples, size * size), y


def _segment_distance(px: np.ndarray, py: np.ndarray, a: np.ndarray, b: np.ndarray
                      ) -> np.ndarray:
    """Distance from points ``(px, py)`` to segments ``a -> b`` (arrays of shape (n, 2))."""
    ax, ay = a[:, 0, None, None], a[:, 1, None, None]
    ex, ey = (b - a)[:, 0, None, None], (b - a)[:, 1, None, None]
    t = np.clip(((px - ax) * ex + (py - ay) * ey) / (ex * ex + ey * ey), 0.0, 1.0)
    return np.hypot(px - ax - t * ex, py - ay - t * ey)


def _shapes(n_samples: int, noise: float, rng: np.random.Generator, n_classes: int,
            size: int = IMAGE_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """The outline of a square, a circle, a cross (plus sign) or a triangle (the class, see
    :data:`SHAPE_NAMES`), of a random size (a quarter to a third of the side from centre to
    edge) around a centre jittered up to an eighth of the side.

    Returns
    -------
    X : ndarray of shape (n_samples, size * size)
    y : ndarray of shape (n_samples,)
    """
    counts = _split_counts(n_samples, len(SHAPE_NAMES))
    y = _labels(counts)
    centre = (size - 1) / 2 + rng.uniform(-size / 8, size / 8, size=(n_samples, 2))
    r = rng.uniform(size / 4, size / 3, size=n_samples)
    x, yy = _pixel_grid(size)
    dx = x - centre[:, 0, None, None]
    dy = yy - centre[:, 1, None, None]
    R = r[:, None, None]
    d = np.empty((n_samples, size, size))
    square = np.abs(np.maximum(np.abs(dx), np.abs(dy)) - R)
    circle = np.abs(np.hypot(dx, dy) - R)
    cross = np.minimum(np.hypot(np.maximum(np.abs(dx) - R, 0.0), dy),
                       np.hypot(dx, np.maximum(np.abs(dy) - R, 0.0)))
    corners = [centre + np.stack([R[:, 0, 0] * np.cos(a), -R[:, 0, 0] * np.sin(a)], axis=1)
               for a in np.deg2rad([90.0, 210.0, 330.0])]
    triangle = np.minimum.reduce([_segment_distance(x, yy, corners[i], corners[(i + 1) % 3])
                                  for i in range(3)])
    for c, dist in enumerate((square, circle, cross, triangle)):
        d[y == c] = dist[y == c]
    img = _stroke(d) + noise * rng.standard_normal((n_samples, size, size))
    return img.reshape(n_samples, size * size), y


DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        DatasetSpec(
            name="toy",
            label="Toy 3-2-1 regression",
            task="regression",
            n_features=3,
            summary=(
                "Three random inputs map to one smooth bump-shaped output: one sigmoid "
                "hidden unit cannot follow the rise and fall, two different ones fit it "
                "exactly, which is why two hidden units that start identical are no "
                "better than one."
            ),
            default_noise=0.05,
            default_lr=1.0,  # 0.7: random still on its plateau at epoch 500; 1.5 overshoots
            fn=_toy,
        ),
        DatasetSpec(
            name="xor",
            label="XOR",
            task="binary",
            n_features=2,
            summary=(
                "Four clusters at the corners of a square where opposite corners share a "
                "class, so no single straight line (one neuron) separates them, but two "
                "hidden neurons can."
            ),
            default_noise=0.2,
            default_lr=2.0,
            fn=_xor,
        ),
        DatasetSpec(
            name="circles",
            label="Circles",
            task="binary",
            n_features=2,
            summary=(
                "A small circle inside a larger ring: the boundary is round, so one "
                "neuron's straight line cannot separate them while a few hidden neurons "
                "can enclose the inner circle."
            ),
            default_noise=0.1,
            default_lr=2.0,  # the lesson preset's
            fn=_circles,
        ),
        DatasetSpec(
            name="moons",
            label="Two moons",
            task="binary",
            n_features=2,
            summary=(
                "Two interlocking half circles: a straight line gets most points right "
                "but the curved boundary needs several hidden neurons."
            ),
            default_noise=0.1,
            default_lr=5.0,  # at 2 some seeds stop on the zeros' plateau
            fn=_moons,
        ),
        DatasetSpec(
            name="spirals",
            label="Two spirals",
            task="binary",
            n_features=2,
            summary=(
                "Two spirals wound around each other: hopeless for one neuron and hard "
                "even for small networks, a test of what many distinct hidden units buy."
            ),
            default_noise=0.1,
            default_lr=0.5,  # from 2 on, zeros catch up with the (stalled) random side
            fn=_spirals,
        ),
        DatasetSpec(
            name="blobs",
            label="Gaussian blobs",
            task="multiclass",
            n_features=2,
            summary=(
                "Clouds of points around centres on a circle, one class per cloud: "
                "straight lines separate them, so even a network without hidden units "
                "does well."
            ),
            default_noise=0.7,
            default_lr=2.0,
            fn=_blobs,
        ),
        DatasetSpec(
            name="sine",
            label="Sine wave",
            task="regression",
            n_features=1,
            summary=(
                "One input x between -pi and pi and the target sin(x): a wave that rises "
                "and falls, which one sigmoid unit cannot draw but a few can."
            ),
            default_noise=0.1,
            default_lr=0.5,  # 2 diverges on both sides
            fn=_sine,
        ),
        DatasetSpec(
            name="teacher",
            label="Linear teacher (8 → 8)",
            task="regression",
            n_features=TEACHER_SIZE,
            summary=(
                "Eight random inputs and eight outputs made by one fixed matrix whose "
                "strengths range from 3 down to 0.3: a linear network can fit it exactly, "
                "and learns the strong directions long before the weak ones."
            ),
            default_noise=0.0,
            default_lr=0.05,
            fn=_teacher,
            outputs=TEACHER_SIZE,
        ),
        DatasetSpec(
            name="bars",
            label="Oriented bars (images)",
            task="multiclass",
            n_features=0,
            summary=(
                "Small images of one bar, horizontal, vertical or diagonal, anywhere near "
                "the centre: filters that detect different orientations tell the four "
                "classes apart, filters that are all alike cannot."
            ),
            default_noise=0.2,
            default_lr=0.5,
            fn=_bars,
            classes=len(BAR_ANGLES),
            channels=1,
        ),
        DatasetSpec(
            name="shapes",
            label="Shapes (images)",
            task="multiclass",
            n_features=0,
            summary=(
                "Small images of the outline of a square, a circle, a cross or a triangle, "
                "of varied size and position: telling them apart takes several different "
                "filters."
            ),
            default_noise=0.2,
            default_lr=0.5,
            fn=_shapes,
            classes=len(SHAPE_NAMES),
            channels=1,
        ),
    )
}


# ---------------------------------------------------------------------------
# Public boundary
# ---------------------------------------------------------------------------


def make_dataset(
    name: str,
    n_samples: int = 256,
    noise: float | None = None,
    test_fraction: float = 0.25,
    seed: int = 0,
    n_classes: int = 3,
    image_size: int = IMAGE_SIZE,
) -> Dataset:
    """Generate, shuffle and split one registered dataset.

    Parameters
    ----------
    name : str
        Key of :data:`DATASETS`.
    n_samples : int, default 256
        Total number of samples (train + test), in ``[4, 100000]``.
    noise : float or None, default None
        Noise level in ``[0, 10]`` (meaning depends on the dataset, see its
        generator); ``None`` uses the dataset's ``default_noise``.
    test_fraction : float, default 0.25
        Fraction of samples held out for testing, in ``[0, 0.9]``;
        ``n_test = round(test_fraction * n_samples)``. At least 2 samples must
        remain for training.
    seed : int, default 0
        Non-negative seed of the ``np.random.default_rng`` generator used for both
        generation and shuffling. Same arguments give bit-identical arrays.
    n_classes : int, default 3
        Number of classes in ``[2, 10]``; only used by ``"blobs"`` but validated
        for every dataset.
    image_size : int, default 12
        Side of the images in pixels, in ``[6, 32]``; only used by the image datasets
        (``bars``, ``shapes``) but validated for every dataset.

    Returns
    -------
    Dataset
        ``X_*`` float64 of shape ``(n, n_features)``; ``y_*`` float64 of shape
        ``(n, outputs)`` for regression or int64 of shape ``(n,)`` for classification.

    Raises
    ------
    ConfigError
        (a ``ValueError``) If ``name`` is unknown or any other argument is out of range
        or of the wrong type (text is refused: this is not the URL); the message names the
        argument, what it must be and what it got, and ``field`` is the argument's name.
    """
    if not isinstance(name, str) or name not in DATASETS:
        raise ConfigError(
            f"Unknown dataset {quote(name)}. Valid names: {', '.join(DATASETS)}.", "name"
        )
    spec = DATASETS[name]
    # strict: this is Python's boundary, where "100" or 100.0 for a count is a bug (the URL
    # and command-line text is converted by sim.config before it gets here).
    n_samples = check_int("n_samples", n_samples, *N_SAMPLES_RANGE, strict=True)
    if noise is None:
        noise = spec.default_noise
    noise = check_float("noise", noise, *NOISE_RANGE, strict=True)
    test_fraction = check_float("test_fraction", test_fraction, *TEST_FRACTION_RANGE, strict=True)
    seed = check_int("seed", seed, 0, None, strict=True)
    n_classes = check_int("n_classes", n_classes, *N_CLASSES_RANGE, strict=True)
    image_size = check_int("image_size", image_size, *IMAGE_SIZE_RANGE, strict=True)

    n_test = int(round(test_fraction * n_samples))
    n_train = n_samples - n_test
    if n_train < MIN_TRAIN_SAMPLES:
        raise ConfigError(
            f"test_fraction leaves {n_train} training sample(s) of n_samples={n_samples}; at "
            f"least {MIN_TRAIN_SAMPLES} are needed. Got {quote(test_fraction)}.",
            "test_fraction",
        )

    rng = np.random.default_rng(seed)
    if spec.is_image:
        X, y = spec.fn(n_samples, noise, rng, n_classes, image_size)
    else:
        X, y = spec.fn(n_samples, noise, rng, n_classes)
    order = rng.permutation(n_samples)
    X = np.ascontiguousarray(X[order], dtype=np.float64)
    if spec.task == "regression":
        y = np.ascontiguousarray(y[order], dtype=np.float64)
        dataset_classes = 0
    else:
        y = np.ascontiguousarray(y[order], dtype=np.int64)
        dataset_classes = spec.class_count(n_classes)
    assert X.shape == (n_samples, spec.features(image_size))
    assert spec.task != "regression" or y.shape == (n_samples, spec.outputs)

    return Dataset(
        name=name,
        task=spec.task,
        n_classes=dataset_classes,
        X_train=X[:n_train],
        y_train=y[:n_train],
        X_test=X[n_train:],
        y_test=y[n_train:],
        image_shape=spec.image_shape(image_size),
    )
