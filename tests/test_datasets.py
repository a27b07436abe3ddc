"""Tests for sim.datasets: shapes, determinism, splits, balance, geometry, validation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.datasets import (
    BAR_ANGLES,
    DATASETS,
    IMAGE_SIZE,
    IMAGE_SIZE_RANGE,
    MOONS_CENTRE,
    MOONS_SCALE,
    SHAPE_NAMES,
    TASKS,
    blob_centres,
    make_dataset,
    toy_target,
)
from sim.validate import ConfigError

ALL_NAMES = list(DATASETS)
CLASSIFICATION = [name for name, spec in DATASETS.items() if spec.task != "regression"]
REGRESSION = [name for name, spec in DATASETS.items() if spec.task == "regression"]
IMAGES = [name for name, spec in DATASETS.items() if spec.is_image]


def _full(name: str, **kwargs) -> tuple[np.ndarray, np.ndarray]:
    """All samples of a dataset (train then test), for checks that ignore the split."""
    ds = make_dataset(name, **kwargs)
    return np.concatenate([ds.X_train, ds.X_test]), np.concatenate([ds.y_train, ds.y_test])


def _least_squares_accuracy(X: np.ndarray, y: np.ndarray, n_classes: int) -> float:
    """Training accuracy of a linear classifier fitted by least squares to one-hot targets."""
    A = np.column_stack([X, np.ones(len(X))])
    targets = np.eye(n_classes)[y]
    W, *_ = np.linalg.lstsq(A, targets, rcond=None)
    return float(np.mean(np.argmax(A @ W, axis=1) == y))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


# --- registry ---------------------------------------------------------------


def test_registry_order_and_names():
    """The registry lists the datasets in the documented menu order, keyed by spec name."""
    assert ALL_NAMES == ["toy", "xor", "circles", "moons", "spirals", "blobs", "sine",
                         "teacher", "bars", "shapes"]
    assert all(spec.name == name for name, spec in DATASETS.items())


@pytest.mark.parametrize("name", ALL_NAMES)
def test_spec_fields_are_sane(name):
    """Each spec has a known task, a label, a one-sentence summary and a valid default noise."""
    spec = DATASETS[name]
    assert spec.task in TASKS
    assert spec.label and spec.summary.endswith(".")
    assert 0.0 <= spec.default_noise <= 10.0


# --- shapes and dtypes ------------------------------------------------------


@pytest.mark.parametrize("name", ALL_NAMES)
def test_inputs_are_float64_with_spec_feature_count(name):
    """X_train and X_test are float64 of shape (n, features) as declared by the spec
    (n_features for points, channels * size**2 for images at the default size)."""
    ds = make_dataset(name, n_samples=100)
    n_features = DATASETS[name].features(IMAGE_SIZE)
    assert ds.X_train.dtype == np.float64 and ds.X_test.dtype == np.float64
    assert ds.X_train.shape == (75, n_features) and ds.X_test.shape == (25, n_features)
    assert ds.n_features == n_features


@pytest.mark.parametrize("name", REGRESSION)
def test_regression_targets_are_float64_columns(name):
    """Regression targets are float64 of shape (n, outputs), one column per output unit (1
    but for teacher's 8), and n_classes is 0."""
    ds = make_dataset(name, n_samples=100)
    k = DATASETS[name].outputs
    assert k == (8 if name == "teacher" else 1)
    assert ds.task == "regression" and ds.n_classes == 0
    assert ds.y_train.dtype == np.float64 and ds.y_train.shape == (75, k)
    assert ds.y_test.dtype == np.float64 and ds.y_test.shape == (25, k)


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_classification_labels_are_int64_vectors(name):
    """Classification labels are int64 vectors of shape (n,)."""
    ds = make_dataset(name, n_samples=100)
    assert ds.y_train.dtype == np.int64 and ds.y_train.shape == (75,)
    assert ds.y_test.dtype == np.int64 and ds.y_test.shape == (25,)


@pytest.mark.parametrize(
    ("name", "n_classes", "expected"),
    [
        ("xor", 5, 2),
        ("circles", 3, 2),
        ("moons", 3, 2),
        ("spirals", 7, 2),
        ("blobs", 3, 3),
        ("blobs", 2, 2),
        ("blobs", 10, 10),
    ],
)
def test_n_classes_of_result(name, n_classes, expected):
    """Binary datasets always report 2 classes; blobs reports the requested n_classes."""
    assert make_dataset(name, n_classes=n_classes).n_classes == expected


# --- determinism ------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_NAMES)
def test_same_arguments_give_bit_identical_arrays(name):
    """Two calls with the same arguments return byte-for-byte equal arrays."""
    a = make_dataset(name, n_samples=64, seed=7)
    b = make_dataset(name, n_samples=64, seed=7)
    for field in ("X_train", "y_train", "X_test", "y_test"):
        assert getattr(a, field).tobytes() == getattr(b, field).tobytes()


@pytest.mark.parametrize("name", ALL_NAMES)
def test_different_seed_gives_different_arrays(name):
    """Changing only the seed changes the training inputs."""
    a = make_dataset(name, n_samples=64, seed=0)
    b = make_dataset(name, n_samples=64, seed=1)
    assert not np.array_equal(a.X_train, b.X_train)


@pytest.mark.parametrize("name", ALL_NAMES)
def test_global_numpy_random_state_is_untouched(name):
    """Generation uses its own Generator, never the legacy global random state."""
    before = np.random.get_state()[1].copy()
    make_dataset(name, n_samples=32)
    assert np.array_equal(np.random.get_state()[1], before)


@pytest.mark.parametrize("name", ALL_NAMES)
def test_noise_none_means_spec_default(name):
    """noise=None gives exactly the data of noise=default_noise."""
    a = make_dataset(name, n_samples=40, noise=None)
    b = make_dataset(name, n_samples=40, noise=DATASETS[name].default_noise)
    assert np.array_equal(a.X_train, b.X_train) and np.array_equal(a.y_train, b.y_train)


# --- splits and balance -----------------------------------------------------


@pytest.mark.parametrize("name", ALL_NAMES)
@pytest.mark.parametrize(
    ("n_samples", "test_fraction", "n_test"),
    [(256, 0.25, 64), (101, 0.3, 30), (10, 0.5, 5), (4, 0.5, 2), (20, 0.9, 18)],
)
def test_split_sizes(name, n_samples, test_fraction, n_test):
    """n_test = round(test_fraction * n_samples) and the rest is training data."""
    ds = make_dataset(name, n_samples=n_samples, test_fraction=test_fraction)
    assert (ds.n_train, ds.n_test) == (n_samples - n_test, n_test)
    assert len(ds.y_train) == ds.n_train and len(ds.y_test) == ds.n_test


@pytest.mark.parametrize("name", ALL_NAMES)
def test_zero_test_fraction_gives_empty_test_arrays_with_right_shapes(name):
    """test_fraction=0 keeps every sample for training; test arrays are empty but well shaped."""
    ds = make_dataset(name, n_samples=50, test_fraction=0.0)
    assert ds.n_train == 50 and ds.n_test == 0
    assert ds.X_test.shape == (0, DATASETS[name].features(IMAGE_SIZE))
    spec = DATASETS[name]
    assert ds.y_test.shape == ((0, spec.outputs) if spec.task == "regression" else (0,))
    assert ds.y_test.dtype == ds.y_train.dtype


@pytest.mark.parametrize("name", CLASSIFICATION)
@pytest.mark.parametrize("n_samples", [4, 7, 101, 256])
def test_classes_are_balanced(name, n_samples):
    """Over train + test, class counts differ by at most one."""
    n_classes = 3 if name == "blobs" else 2
    _, y = _full(name, n_samples=n_samples)
    counts = np.bincount(y, minlength=n_classes)
    assert counts.sum() == n_samples and counts.max() - counts.min() <= 1


@pytest.mark.parametrize("n_classes", [2, 3, 7, 10])
def test_blobs_labels_cover_exactly_the_requested_classes(n_classes):
    """Blobs labels are exactly 0 .. n_classes - 1, each present."""
    _, y = _full("blobs", n_samples=100, n_classes=n_classes)
    assert set(np.unique(y)) == set(range(n_classes))


@pytest.mark.parametrize("name", [n for n in CLASSIFICATION if DATASETS[n].task == "binary"])
def test_binary_labels_are_zero_and_one(name):
    """Binary labels take exactly the values 0 and 1."""
    _, y = _full(name, n_samples=64)
    assert set(np.unique(y)) == {0, 1}


# --- geometry without noise -------------------------------------------------


def test_circles_without_noise_lie_on_radii_half_and_one():
    """Label 0 points are on the unit circle, label 1 points on the circle of radius 0.5."""
    X, y = _full("circles", noise=0.0)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(radius[y == 1], 0.5, rtol=0, atol=1e-12)


def test_moons_without_noise_lie_on_the_half_circles():
    """Undoing the documented standardisation puts each moon on its sklearn half circle."""
    X, y = _full("moons", noise=0.0)
    raw = X * MOONS_SCALE + MOONS_CENTRE
    upper, lower = raw[y == 0], raw[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, atol=1e-12)
    assert np.all(upper[:, 1] >= -1e-12)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0, atol=1e-12)
    assert np.all(lower[:, 1] <= 0.5 + 1e-12)


def test_moons_standardisation_constants_match_dense_noise_free_sample():
    """MOONS_CENTRE and MOONS_SCALE are the mean and std of the noise-free moons."""
    X, _ = _full("moons", n_samples=20_000, noise=0.0)
    np.testing.assert_allclose(X.mean(axis=0), 0.0, atol=1e-3)
    np.testing.assert_allclose(X.std(axis=0), 1.0, atol=1e-3)


def test_sine_without_noise_is_exactly_sin():
    """With noise=0 the target is exactly sin(x) and x stays in [-pi, pi]."""
    X, y = _full("sine", noise=0.0)
    assert np.array_equal(y, np.sin(X))
    assert np.all(np.abs(X) <= np.pi)


def test_toy_without_noise_is_exactly_the_documented_target():
    """With noise=0 the toy target equals toy_target(X) and X lies in [-1, 1]^3."""
    X, y = _full("toy", noise=0.0)
    assert np.array_equal(y, toy_target(X))
    assert np.all(np.abs(X) <= 1.0)


def test_toy_target_is_a_two_unit_sigmoid_network():
    """toy_target equals 2*sigmoid(4u + 3) - 2*sigmoid(4u - 3) - 1, u = x1 - x2 + x3:
    a 3-2-1 sigmoid network with two different hidden units fits it exactly."""
    rng = np.random.default_rng(3)
    X = rng.uniform(-1.0, 1.0, size=(500, 3))
    W = np.array([[4.0, 4.0], [-4.0, -4.0], [4.0, 4.0]])  # (n_inputs, n_hidden)
    b = np.array([3.0, -3.0])
    v = np.array([[2.0], [-2.0]])  # (n_hidden, 1)
    c = -1.0  # output bias
    np.testing.assert_allclose(toy_target(X), _sigmoid(X @ W + b) @ v + c, atol=1e-12)


def test_toy_target_has_no_linear_component():
    """The bump is even in u, so a linear fit explains almost none of its variance."""
    X, y = _full("toy", n_samples=4000, noise=0.0)
    A = np.column_stack([X, np.ones(len(X))])
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    residual = y - A @ coef
    assert residual.var() > 0.95 * y.var()


def test_xor_without_noise_sits_on_corners_with_xor_labels():
    """Noise-free XOR points are the corners (+-1, +-1), labelled 1 where the signs differ."""
    X, y = _full("xor", noise=0.0)
    assert np.all(np.abs(X) == 1.0)
    assert np.array_equal(y, (np.sign(X[:, 0]) != np.sign(X[:, 1])).astype(np.int64))


def test_spirals_without_noise_follow_the_documented_curve():
    """Noise-free spiral points satisfy r = 0.1 + 0.9 t, angle = 3 pi t + k pi."""
    X, y = _full("spirals", noise=0.0)
    radius = np.hypot(X[:, 0], X[:, 1])
    t = (radius - 0.1) / 0.9
    angle = 3.0 * np.pi * t + y * np.pi
    np.testing.assert_allclose(X[:, 0], radius * np.cos(angle), atol=1e-9)
    np.testing.assert_allclose(X[:, 1], radius * np.sin(angle), atol=1e-9)
    assert np.all((radius >= 0.1 - 1e-12) & (radius <= 1.0 + 1e-12))


@pytest.mark.parametrize("n_classes", [2, 3, 10])
def test_blobs_without_noise_sit_on_their_centres(n_classes):
    """Noise-free blob points are exactly at their class centre, on a circle of radius 2."""
    X, y = _full("blobs", noise=0.0, n_classes=n_classes)
    centres = blob_centres(n_classes)
    np.testing.assert_array_equal(X, centres[y])
    np.testing.assert_allclose(np.hypot(centres[:, 0], centres[:, 1]), 2.0, atol=1e-12)


# --- scale ------------------------------------------------------------------


# teacher's outputs are scaled by its singular values (3 down to 0.3) by design: see
# tests/test_teacher.py.
@pytest.mark.parametrize("name", [n for n in REGRESSION if n != "teacher"])
def test_regression_targets_are_finite_and_roughly_unit_scaled(name):
    """With default noise the targets are finite, within about [-1, 1] and not degenerate."""
    _, y = _full(name, n_samples=2000)
    assert np.all(np.isfinite(y))
    assert np.abs(y).max() < 1.5
    assert 0.3 < y.std() < 1.0


@pytest.mark.parametrize("name", ["toy", "xor", "circles", "moons", "spirals"])
def test_inputs_are_roughly_centred_and_unit_scaled(name):
    """Inputs are roughly zero-mean and bounded by a few units."""
    X, _ = _full(name, n_samples=2000)
    assert np.all(np.abs(X.mean(axis=0)) < 0.1)
    assert np.abs(X).max() < 3.0


# --- linear separability ----------------------------------------------------


@pytest.mark.parametrize("name", ["xor", "circles", "spirals"])
@pytest.mark.parametrize("seed", [0, 1])
def test_nonlinear_datasets_defeat_a_linear_classifier(name, seed):
    """A least-squares linear classifier gets under 75 % on xor, circles and spirals."""
    X, y = _full(name, n_samples=512, seed=seed)
    assert _least_squares_accuracy(X, y, 2) < 0.75


@pytest.mark.parametrize("n_classes", [2, 3, 5])
def test_blobs_with_small_noise_are_linearly_separable(n_classes):
    """With small noise a least-squares linear classifier gets over 85 % on blobs."""
    X, y = _full("blobs", n_samples=512, noise=0.3, n_classes=n_classes)
    assert _least_squares_accuracy(X, y, n_classes) > 0.85


# --- validation -------------------------------------------------------------


def test_unknown_name_lists_valid_names():
    """An unknown name raises ValueError listing every valid name in registry order."""
    expected = ("Unknown dataset 'foo'. Valid names: toy, xor, circles, moons, spirals, blobs, "
                "sine, teacher, bars, shapes.")
    with pytest.raises(ValueError) as excinfo:
        make_dataset("foo")
    assert str(excinfo.value) == expected


BAD_ARGUMENTS = [
    ({"n_samples": 3}, "n_samples"),
    ({"n_samples": 100_001}, "n_samples"),
    ({"n_samples": 10.0}, "n_samples"),
    ({"n_samples": True}, "n_samples"),
    ({"n_samples": "100"}, "n_samples"),
    ({"noise": -0.1}, "noise"),
    ({"noise": 10.5}, "noise"),
    ({"noise": math.nan}, "noise"),
    ({"noise": math.inf}, "noise"),
    ({"noise": "0.1"}, "noise"),
    ({"test_fraction": -0.1}, "test_fraction"),
    ({"test_fraction": 0.95}, "test_fraction"),
    ({"test_fraction": math.nan}, "test_fraction"),
    ({"n_samples": 4, "test_fraction": 0.9}, "test_fraction"),
    ({"n_classes": 1}, "n_classes"),
    ({"n_classes": 11}, "n_classes"),
    ({"n_classes": 2.5}, "n_classes"),
    ({"seed": -1}, "seed"),
    ({"seed": 1.5}, "seed"),
]


@pytest.mark.parametrize(("kwargs", "field"), BAD_ARGUMENTS)
def test_bad_argument_raises_value_error_naming_the_field(kwargs, field):
    """Each invalid argument raises ValueError whose message names the offending field."""
    with pytest.raises(ValueError, match=field):
        make_dataset("blobs", **kwargs)


@pytest.mark.parametrize(("kwargs", "field"), BAD_ARGUMENTS)
def test_bad_argument_raises_config_error_with_the_field(kwargs, field):
    """The error is a ConfigError whose field is the argument at fault."""
    with pytest.raises(ConfigError) as excinfo:
        make_dataset("blobs", **kwargs)
    assert excinfo.value.field == field


def test_bad_argument_message_says_what_it_got():
    """The message states the allowed range and echoes the rejected value."""
    with pytest.raises(ValueError) as excinfo:
        make_dataset("moons", n_samples=3)
    message = str(excinfo.value)
    assert "between 4 and 100000" in message and "Got 3" in message


@pytest.mark.parametrize("n_samples", [np.int64(50), 50])
def test_numpy_integers_are_accepted(n_samples):
    """numpy integer types pass validation like Python ints."""
    assert make_dataset("xor", n_samples=n_samples).n_train == 38


# --- image datasets ---------------------------------------------------------


def test_image_specs_declare_one_channel_and_four_classes():
    """bars and shapes are the image datasets: 1 channel, 4 fixed classes, n_features 0
    (their size is a setting); the point datasets have no channels."""
    assert IMAGES == ["bars", "shapes"]
    assert DATASETS["bars"].classes == len(BAR_ANGLES) == 4
    assert DATASETS["shapes"].classes == len(SHAPE_NAMES) == 4
    for name, spec in DATASETS.items():
        if name in IMAGES:
            assert spec.channels == 1 and spec.n_features == 0
            assert spec.image_shape(10) == (1, 10, 10) and spec.features(10) == 100
        else:
            assert not spec.is_image and spec.image_shape(10) is None
            assert spec.features(10) == spec.n_features


@pytest.mark.parametrize("size", [IMAGE_SIZE_RANGE[0], IMAGE_SIZE, 17, IMAGE_SIZE_RANGE[1]])
@pytest.mark.parametrize("name", IMAGES)
def test_image_shapes_follow_image_size(name, size):
    """Rows are size * size pixels, image_shape is (1, size, size); point data have None."""
    ds = make_dataset(name, 40, image_size=size)
    assert ds.image_shape == (1, size, size)
    assert ds.X_train.shape == (30, size * size) and ds.X_test.shape == (10, size * size)
    assert ds.X_train.reshape(-1, *ds.image_shape).shape == (30, 1, size, size)
    assert make_dataset("moons", 40).image_shape is None


@pytest.mark.parametrize("n_classes", [2, 3, 10])
@pytest.mark.parametrize("name", IMAGES)
def test_image_datasets_have_four_balanced_classes_whatever_n_classes(name, n_classes):
    """4 classes (counts differ by at most one), whatever the n_classes setting."""
    X, y = _full(name, n_samples=103, n_classes=n_classes)
    ds = make_dataset(name, 103, n_classes=n_classes)
    assert ds.n_classes == 4
    counts = np.bincount(y, minlength=4)
    assert len(counts) == 4 and counts.max() - counts.min() <= 1 and counts.sum() == 103


@pytest.mark.parametrize("name", IMAGES)
def test_image_datasets_are_deterministic(name):
    """Same arguments, same bytes; another seed, other images."""
    a, b = _full(name, n_samples=60, seed=4, image_size=9), _full(name, n_samples=60, seed=4,
                                                                  image_size=9)
    assert a[0].tobytes() == b[0].tobytes() and a[1].tobytes() == b[1].tobytes()
    assert not np.array_equal(a[0], _full(name, n_samples=60, seed=5, image_size=9)[0])


@pytest.mark.parametrize("name", IMAGES)
def test_noise_free_images_are_strokes_in_zero_one(name):
    """Without noise every pixel is in [0, 1], with some fully on and most off."""
    X, _ = _full(name, n_samples=80, noise=0.0)
    assert X.min() == 0.0 and X.max() == 1.0
    assert 0.05 < np.mean(X > 0) < 0.6


@pytest.mark.parametrize("noise", [0.1, 0.5])
@pytest.mark.parametrize("name", IMAGES)
def test_image_noise_is_added_gaussian_of_that_std(name, noise):
    """The same seed with noise s differs from the noise-free images by s times one same
    standard normal field: std s (within 3 %), and the fields of two levels are equal."""
    clean, y0 = _full(name, n_samples=200, noise=0.0, seed=2)
    noisy, y1 = _full(name, n_samples=200, noise=noise, seed=2)
    other, _ = _full(name, n_samples=200, noise=0.3, seed=2)
    assert np.array_equal(y0, y1)
    field = (noisy - clean) / noise
    assert field.std() == pytest.approx(1.0, rel=0.03) and abs(field.mean()) < 0.02
    np.testing.assert_allclose(field, (other - clean) / 0.3, rtol=1e-9, atol=1e-9)


def _line_peak(img: np.ndarray, key: np.ndarray) -> float:
    """Share of an image's ink on its brightest line of equal ``key`` (row, column, ...)."""
    sums = np.bincount(key.ravel(), weights=img.ravel())
    return float(sums.max() / sums.sum())


def test_bars_orientation_is_the_class():
    """Noise-free bars put their ink on one line: a row for 0 degrees, an anti-diagonal
    (i + j constant) for 45, a column for 90, a diagonal (i - j constant) for 135."""
    ds = make_dataset("bars", 200, noise=0.0, test_fraction=0.0, seed=1)
    images = ds.X_train.reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
    i, j = np.indices((IMAGE_SIZE, IMAGE_SIZE))
    keys = [i, i + j, j, i - j + IMAGE_SIZE - 1]  # class order of BAR_ANGLES
    pred = [np.argmax([_line_peak(im, k) for k in keys]) for im in images]
    assert np.array_equal(pred, ds.y_train)


@pytest.mark.parametrize("name", IMAGES)
def test_image_classes_differ_visibly(name):
    """Noise-free classes are told apart by their mean images: nearest class mean gets
    over 75 % right (chance 25 %), and no two class means are close."""
    X, y = _full(name, n_samples=400, noise=0.0, seed=1)
    means = np.stack([X[y == c].mean(axis=0) for c in range(4)])
    pred = np.argmin(((X[:, None] - means[None]) ** 2).sum(axis=2), axis=1)
    assert np.mean(pred == y) > 0.75
    gaps = np.linalg.norm(means[:, None] - means[None], axis=2)[np.triu_indices(4, 1)]
    assert gaps.min() > 1.0


@pytest.mark.parametrize("size", [IMAGE_SIZE_RANGE[0] - 1, IMAGE_SIZE_RANGE[1] + 1, 12.0, "12",
                                  True])
def test_bad_image_size_is_refused_naming_it(size):
    """image_size outside [6, 32] or not an int: a ConfigError naming image_size, for image
    and point datasets alike (validated for every dataset)."""
    for name in ("bars", "moons"):
        with pytest.raises(ConfigError, match="image_size") as excinfo:
            make_dataset(name, 40, image_size=size)
        assert excinfo.value.field == "image_size"
