"""Tests for sim.initializers.

The expected moments are written from the published formulas (Glorot & Bengio 2010, He et al.
2015, LeCun et al. 1998, torch.nn.init's documentation), not read back from the module. The
statistical checks use a fixed seed and tolerances of about 6 standard errors, so they are
deterministic and still catch a wrong gain or a swapped fan (fan_in != fan_out everywhere).
"""

import dataclasses
import doctest
import inspect
import math
from fractions import Fraction

import numpy as np
import pytest

import sim.initializers as init_module
from sim.activations import ACTIVATIONS
from sim.initializers import (
    ACTIVATION_NAMES,
    ALIASES,
    BIAS_INITIALIZERS,
    INITIALIZERS,
    LEAKY_RELU_SLOPE,
    calculate_gain,
    compute_fans,
    initialize,
    initialize_bias,
    resolve_bias_initializer,
    resolve_initializer,
    validate_bias_params,
    validate_init_params,
)
from sim.validate import ConfigError

FAN_OUT, FAN_IN = 300, 700  # deliberately unequal: a swapped fan changes the expected scale
SHAPE = (FAN_OUT, FAN_IN)
N = FAN_OUT * FAN_IN
SQRT3 = math.sqrt(3.0)

RANDOM_NAMES = [name for name, spec in INITIALIZERS.items() if spec.random]
DETERMINISTIC_NAMES = [name for name, spec in INITIALIZERS.items() if not spec.random]


def _phi(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def _Phi(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def truncated_moments(mean: float, std: float, a: float, b: float) -> tuple[float, float]:
    """Mean and std of N(mean, std^2) truncated to [mean + a std, mean + b std]."""
    z = _Phi(b) - _Phi(a)
    shift = (_phi(a) - _phi(b)) / z
    factor = math.sqrt(1.0 + (a * _phi(a) - b * _phi(b)) / z - shift**2)
    return mean + std * shift, std * factor


# (name, params, expected mean, expected std, uniform bounds or None)
MOMENT_CASES = {
    "uniform-default": ("uniform", {}, 0.0, 0.1 / math.sqrt(12.0), (-0.05, 0.05)),
    "uniform-asymmetric": ("uniform", {"a": -0.3, "b": 0.1}, -0.1, 0.4 / 12**0.5, (-0.3, 0.1)),
    "normal-default": ("normal", {}, 0.0, 0.01, None),
    "normal-shifted": ("normal", {"mean": 0.5, "std": 0.2}, 0.5, 0.2, None),
    "truncated_normal-default": (
        "truncated_normal",
        {},
        *truncated_moments(0.0, 0.05, -2.0, 2.0),
        None,
    ),
    "xavier_uniform": (
        "xavier_uniform",
        {},
        0.0,
        math.sqrt(2.0 / (FAN_IN + FAN_OUT)),
        (-math.sqrt(6.0 / (FAN_IN + FAN_OUT)), math.sqrt(6.0 / (FAN_IN + FAN_OUT))),
    ),
    "xavier_uniform-gain2": (
        "xavier_uniform",
        {"gain": 2.0},
        0.0,
        2.0 * math.sqrt(2.0 / (FAN_IN + FAN_OUT)),
        (-2.0 * math.sqrt(6.0 / (FAN_IN + FAN_OUT)), 2.0 * math.sqrt(6.0 / (FAN_IN + FAN_OUT))),
    ),
    "xavier_normal": ("xavier_normal", {}, 0.0, math.sqrt(2.0 / (FAN_IN + FAN_OUT)), None),
    "xavier_normal-tanh-gain": (
        "xavier_normal",
        {"gain": 5.0 / 3.0},
        0.0,
        5.0 / 3.0 * math.sqrt(2.0 / (FAN_IN + FAN_OUT)),
        None,
    ),
    "he_uniform-relu-fan_in": (
        "he_uniform",
        {},
        0.0,
        math.sqrt(2.0 / FAN_IN),
        (-math.sqrt(6.0 / FAN_IN), math.sqrt(6.0 / FAN_IN)),
    ),
    "he_uniform-relu-fan_out": (
        "he_uniform",
        {"mode": "fan_out"},
        0.0,
        math.sqrt(2.0 / FAN_OUT),
        (-math.sqrt(6.0 / FAN_OUT), math.sqrt(6.0 / FAN_OUT)),
    ),
    "he_uniform-tanh": (
        "he_uniform",
        {"nonlinearity": "tanh"},
        0.0,
        (5.0 / 3.0) / math.sqrt(FAN_IN),
        (-SQRT3 * (5.0 / 3.0) / math.sqrt(FAN_IN), SQRT3 * (5.0 / 3.0) / math.sqrt(FAN_IN)),
    ),
    "he_normal-relu-fan_in": ("he_normal", {}, 0.0, math.sqrt(2.0 / FAN_IN), None),
    "he_normal-relu-fan_out": ("he_normal", {"mode": "fan_out"}, 0.0, math.sqrt(2 / FAN_OUT), None),
    "he_normal-leaky_relu": (
        "he_normal",
        {"nonlinearity": "leaky_relu"},
        0.0,
        math.sqrt(2.0 / (1.0 + 0.01**2)) / math.sqrt(FAN_IN),
        None,
    ),
    "he_normal-tanh-fan_out": (
        "he_normal",
        {"mode": "fan_out", "nonlinearity": "tanh"},
        0.0,
        (5.0 / 3.0) / math.sqrt(FAN_OUT),
        None,
    ),
    "he_normal-linear": ("he_normal", {"nonlinearity": "linear"}, 0.0, 1 / math.sqrt(FAN_IN), None),
    "he_normal-sigmoid": ("he_normal", {"nonlinearity": "sigmoid"}, 0.0, 1 / FAN_IN**0.5, None),
    "he_normal-elu": ("he_normal", {"nonlinearity": "elu"}, 0.0, math.sqrt(2.0 / FAN_IN), None),
    "he_normal-gelu": ("he_normal", {"nonlinearity": "gelu"}, 0.0, math.sqrt(2.0 / FAN_IN), None),
    "lecun_uniform": (
        "lecun_uniform",
        {},
        0.0,
        1.0 / math.sqrt(FAN_IN),
        (-math.sqrt(3.0 / FAN_IN), math.sqrt(3.0 / FAN_IN)),
    ),
    "lecun_normal": ("lecun_normal", {}, 0.0, 1.0 / math.sqrt(FAN_IN), None),
    # Orthonormal rows of length FAN_IN: the mean square entry is exactly 1 / FAN_IN.
    "orthogonal": ("orthogonal", {}, 0.0, 1.0 / math.sqrt(FAN_IN), None),
    "orthogonal-gain": ("orthogonal", {"gain": 1.5}, 0.0, 1.5 / math.sqrt(FAN_IN), None),
    # 10% of each column is zero: overall variance is 0.9 std^2.
    "sparse": ("sparse", {}, 0.0, 0.01 * math.sqrt(1.0 - 30 / FAN_OUT), None),
    "torch_default": (
        "torch_default",
        {},
        0.0,
        1.0 / math.sqrt(3.0 * FAN_IN),
        (-1.0 / math.sqrt(FAN_IN), 1.0 / math.sqrt(FAN_IN)),
    ),
}

UNIFORM_CASES = {key: case for key, case in MOMENT_CASES.items() if case[4] is not None}


def _draw(name: str, seed: int = 0, shape: tuple[int, ...] = SHAPE, **params) -> np.ndarray:
    return initialize(name, shape, np.random.default_rng(seed), **params)


# ------------------------------------------------------------------------------------------
# Registry shape
# ------------------------------------------------------------------------------------------


def test_registry_has_the_documented_schemes_in_order():
    """The dashboard's menu order is the registry order."""
    assert list(INITIALIZERS) == [
        "zeros",
        "ones",
        "constant",
        "uniform",
        "normal",
        "truncated_normal",
        "xavier_uniform",
        "xavier_normal",
        "he_uniform",
        "he_normal",
        "lecun_uniform",
        "lecun_normal",
        "orthogonal",
        "identity",
        "sparse",
        "torch_default",
    ]


def test_deterministic_schemes_are_flagged():
    """Only zeros, ones, constant and identity are marked non-random."""
    assert DETERMINISTIC_NAMES == ["zeros", "ones", "constant", "identity"]


@pytest.mark.parametrize("registry", [INITIALIZERS, BIAS_INITIALIZERS], ids=["weight", "bias"])
def test_entries_are_keyed_by_their_name_and_documented(registry):
    """Each entry's key is its name, and the texts the dashboard shows are filled in."""
    for key, spec in registry.items():
        assert spec.name == key
        assert spec.label and spec.summary and spec.formula
        assert spec.fn.__doc__


@pytest.mark.parametrize(
    "name",
    [
        "xavier_uniform",
        "xavier_normal",
        "he_uniform",
        "he_normal",
        "lecun_uniform",
        "lecun_normal",
        "orthogonal",
        "sparse",
    ],
)
def test_published_schemes_cite_their_paper(name):
    """Schemes from a paper carry the citation."""
    assert INITIALIZERS[name].paper


@pytest.mark.parametrize(
    ("registry", "positional"),
    [(INITIALIZERS, 2), (BIAS_INITIALIZERS, 3)],
    ids=["weight", "bias"],
)
def test_function_defaults_match_param_defaults(registry, positional):
    """Calling a scheme function directly gives the same defaults as the registry's Params."""
    for spec in registry.values():
        signature = inspect.signature(spec.fn)
        keywords = list(signature.parameters.values())[positional:]
        assert [p.name for p in keywords] == [p.name for p in spec.params], spec.name
        for fn_param, param in zip(keywords, spec.params, strict=True):
            assert fn_param.default == param.default, (spec.name, param.name)


@pytest.mark.parametrize(
    ("registry", "validate"),
    [(INITIALIZERS, validate_init_params), (BIAS_INITIALIZERS, validate_bias_params)],
    ids=["weight", "bias"],
)
def test_params_are_well_formed_and_defaults_validate(registry, validate):
    """Every Param has a known kind, and its default passes validation unchanged."""
    for spec in registry.values():
        for param in spec.params:
            assert param.kind in ("float", "choice")
            assert param.help
            if param.kind == "choice":
                assert param.default in param.choices
        assert validate(spec.name, {}) == {p.name: p.default for p in spec.params}


def test_he_nonlinearity_choices_are_the_activation_names():
    """The He schemes offer exactly the gains calculate_gain knows for the lab's activations."""
    for name in ("he_uniform", "he_normal"):
        choices = {p.name: p for p in INITIALIZERS[name].params}["nonlinearity"].choices
        assert choices == ACTIVATION_NAMES


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_calculate_gain_is_the_activations_own_gain(name):
    """calculate_gain reads each activation's gain from the registry (leaky_relu: its slope)."""
    assert calculate_gain(name) == ACTIVATIONS[name].gain


def test_a_registered_activation_reaches_calculate_gain_and_the_he_schemes(monkeypatch):
    """One registry entry is all an activation needs: its gain, the He menus and validation."""
    swish = dataclasses.replace(ACTIVATIONS["tanh"], name="swish", gain=1.25)
    monkeypatch.setitem(ACTIVATIONS, "swish", swish)
    assert calculate_gain("swish") == 1.25
    for name in ("he_uniform", "he_normal"):
        choices = {p.name: p for p in INITIALIZERS[name].params}["nonlinearity"].choices
        assert choices == tuple(ACTIVATIONS) and "swish" in choices
    assert validate_init_params("he_normal", {"nonlinearity": "Swish"})["nonlinearity"] == "swish"
    w = _draw("he_normal", nonlinearity="swish")
    assert w.std() == pytest.approx(1.25 / math.sqrt(FAN_IN), rel=0.01)


def test_an_unregistered_activation_is_refused_by_the_he_schemes():
    """Without the registry entry, the same name is an unknown choice."""
    with pytest.raises(ValueError, match="'nonlinearity' must be one of"):
        validate_init_params("he_normal", {"nonlinearity": "swish"})


def test_docstring_examples_run():
    """The examples in the docstrings are true."""
    result = doctest.testmod(init_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


# ------------------------------------------------------------------------------------------
# calculate_gain and compute_fans
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nonlinearity", "param", "expected"),
    [
        ("linear", None, 1.0),
        ("sigmoid", None, 1.0),
        ("tanh", None, 1.6666666666666667),
        ("relu", None, 1.4142135623730951),
        ("leaky_relu", None, 1.4141428569978354),  # sqrt(2 / (1 + 0.01^2))
        ("leaky_relu", 0.2, 1.3867504905630728),  # torch docs' example value
        ("leaky_relu", math.sqrt(5.0), 0.5773502691896258),  # nn.Linear's a = sqrt(5)
        ("selu", None, 0.75),
        ("elu", None, 1.4142135623730951),  # not in torch's table: ReLU's value
        ("gelu", None, 1.4142135623730951),  # not in torch's table: ReLU's value
    ],
)
def test_calculate_gain_matches_torch_table(nonlinearity, param, expected):
    """Gains equal torch.nn.init.calculate_gain's documented values."""
    assert calculate_gain(nonlinearity, param) == pytest.approx(expected, rel=1e-15)


def test_leaky_relu_slope_default():
    """The default slope is torch's 0.01."""
    assert LEAKY_RELU_SLOPE == 0.01


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_calculate_gain_knows_every_activation_name(name):
    """Every activation offered by the He schemes has a positive gain."""
    assert calculate_gain(name) > 0


def test_calculate_gain_rejects_unknown_name_listing_valid_ones():
    """An unknown nonlinearity raises ValueError naming the valid ones."""
    with pytest.raises(ValueError, match="swish") as excinfo:
        calculate_gain("swish")
    for name in ACTIVATION_NAMES:
        assert name in str(excinfo.value)


@pytest.mark.parametrize("param", [float("nan"), True, "0.2"])
def test_calculate_gain_rejects_bad_slope(param):
    """The leaky ReLU slope must be a finite number."""
    with pytest.raises(ValueError, match="param"):
        calculate_gain("leaky_relu", param)


def test_compute_fans_reads_fan_out_fan_in_convention():
    """Shape (units, inputs) gives (fan_in, fan_out) = (inputs, units)."""
    assert compute_fans((3, 5)) == (5, 3)


def test_compute_fans_reads_conv_filters_as_pytorch():
    """Conv filters (F, C, K, K): fan_in = C * K * K, fan_out = F * K * K (torch's
    _calculate_fan_in_and_fan_out)."""
    assert compute_fans((8, 3, 5, 5)) == (75, 200)


@pytest.mark.parametrize("shape", [(3,), (3, 4, 5), (2, 3, 4, 5, 6)])
def test_compute_fans_rejects_shapes_that_are_neither_matrices_nor_filters(shape):
    """Only 2-D weight matrices and 4-D filter banks have fans here."""
    with pytest.raises(ValueError, match="2 dimensions"):
        compute_fans(shape)


# ------------------------------------------------------------------------------------------
# Output shape, dtype and reproducibility
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (1, 1), (4, 2, 3, 3), (2, 3, 2, 2)])
@pytest.mark.parametrize("name", list(INITIALIZERS))
def test_every_scheme_returns_float64_of_shape(name, shape):
    """The result is a float64 array of finite numbers of the asked shape: (fan_out, fan_in)
    or conv filters (F, C, K, K)."""
    w = _draw(name, shape=shape)
    assert w.shape == shape
    assert w.dtype == np.float64
    assert np.all(np.isfinite(w))


@pytest.mark.parametrize("name", RANDOM_NAMES)
def test_same_seed_gives_identical_weights(name):
    """Randomness comes only from the generator passed in."""
    assert np.array_equal(_draw(name, seed=7, shape=(7, 11)), _draw(name, seed=7, shape=(7, 11)))


@pytest.mark.parametrize("name", RANDOM_NAMES)
def test_different_seeds_give_different_weights(name):
    """A random scheme depends on the generator's state."""
    first = _draw(name, seed=1, shape=(7, 11))
    assert not np.array_equal(first, _draw(name, seed=2, shape=(7, 11)))


@pytest.mark.parametrize("name", DETERMINISTIC_NAMES)
def test_deterministic_schemes_ignore_seed(name):
    """Deterministic schemes give the same array whatever the generator."""
    assert np.array_equal(_draw(name, seed=1, shape=(4, 6)), _draw(name, seed=2, shape=(4, 6)))


@pytest.mark.parametrize("name", RANDOM_NAMES)
def test_initialize_does_not_use_global_numpy_state(name):
    """Reseeding numpy's legacy global generator has no effect on the result."""
    np.random.seed(0)  # the legacy global state, which the module must not read
    first = _draw(name, seed=3, shape=(4, 6))
    np.random.seed(1)
    assert np.array_equal(first, _draw(name, seed=3, shape=(4, 6)))


# ------------------------------------------------------------------------------------------
# Statistics of the random schemes against their formulas
# ------------------------------------------------------------------------------------------


def test_moment_cases_cover_every_random_scheme():
    """Adding a random scheme without a statistical test fails here."""
    assert {case[0] for case in MOMENT_CASES.values()} == set(RANDOM_NAMES)


@pytest.mark.parametrize(
    ("name", "params", "mean", "std", "bounds"),
    list(MOMENT_CASES.values()),
    ids=list(MOMENT_CASES),
)
def test_empirical_mean_and_std_match_formula(name, params, mean, std, bounds):
    """Mean within ~6 standard errors and std within 1 % of the formula, over 210,000 draws."""
    w = _draw(name, **params)
    assert abs(w.mean() - mean) <= 6.0 * std / math.sqrt(N)
    assert w.std() == pytest.approx(std, rel=0.01)


@pytest.mark.parametrize(
    ("name", "params", "mean", "std", "bounds"),
    list(UNIFORM_CASES.values()),
    ids=list(UNIFORM_CASES),
)
def test_uniform_kinds_fill_exactly_their_bounds(name, params, mean, std, bounds):
    """Uniform schemes stay within their bounds and come within 0.1 % of both ends."""
    low, high = bounds
    w = _draw(name, **params)
    slack = 1e-3 * (high - low)
    assert low <= w.min() <= low + slack
    assert high - slack <= w.max() <= high


def test_he_uniform_bound_is_sqrt3_times_he_normal_std():
    """torch's rule bound = sqrt(3) * std links the two He variants."""
    uniform_w = _draw("he_uniform", mode="fan_out", nonlinearity="tanh")
    normal_w = _draw("he_normal", mode="fan_out", nonlinearity="tanh")
    assert np.abs(uniform_w).max() / normal_w.std() == pytest.approx(SQRT3, rel=0.01)


# ------------------------------------------------------------------------------------------
# Truncated normal
# ------------------------------------------------------------------------------------------

TRUNCATED_CASES = [
    {"mean": 0.0, "std": 0.05, "a": -2.0, "b": 2.0},
    {"mean": 0.3, "std": 0.2, "a": -1.0, "b": 2.0},
    {"mean": -1.0, "std": 1.0, "a": 0.5, "b": 3.0},
]


@pytest.mark.parametrize("params", TRUNCATED_CASES)
def test_truncated_normal_stays_within_bounds(params):
    """All values lie in [mean + a std, mean + b std]."""
    w = _draw("truncated_normal", **params)
    low = params["mean"] + params["a"] * params["std"]
    high = params["mean"] + params["b"] * params["std"]
    assert w.min() >= low
    assert w.max() <= high


@pytest.mark.parametrize("params", TRUNCATED_CASES)
def test_truncated_normal_std_matches_truncated_formula(params):
    """The spread shrinks exactly as the truncated-normal formula says."""
    _, expected_std = truncated_moments(**params)
    assert _draw("truncated_normal", **params).std() == pytest.approx(expected_std, rel=0.01)


@pytest.mark.parametrize("params", TRUNCATED_CASES)
def test_truncated_normal_mean_matches_truncated_formula(params):
    """Asymmetric bounds shift the mean by std * (phi(a) - phi(b)) / Z."""
    expected_mean, expected_std = truncated_moments(**params)
    w = _draw("truncated_normal", **params)
    assert abs(w.mean() - expected_mean) <= 6.0 * expected_std / math.sqrt(N)


def test_truncated_normal_with_zero_std_is_constant():
    """std = 0 puts every weight at the mean."""
    assert np.array_equal(
        _draw("truncated_normal", shape=(3, 4), mean=0.2, std=0.0), np.full((3, 4), 0.2)
    )


def test_truncated_normal_rejects_bounds_with_almost_no_mass():
    """Bounds far in a tail would make rejection sampling endless, so they are refused."""
    with pytest.raises(ValueError, match="'a' and 'b'"):
        validate_init_params("truncated_normal", {"a": 5.0, "b": 6.0})


# ------------------------------------------------------------------------------------------
# Orthogonal, identity, sparse, constants
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("gain", [1.0, 1.7])
@pytest.mark.parametrize("shape", [(30, 50), (50, 30), (40, 40), (1, 6), (6, 1)])
def test_orthogonal_is_orthonormal_times_gain(shape, gain):
    """Rows are orthonormal when fan_out <= fan_in, columns otherwise, scaled by gain."""
    w = _draw("orthogonal", shape=shape, gain=gain)
    rows, cols = shape
    gram = w @ w.T if rows <= cols else w.T @ w
    np.testing.assert_allclose(gram, gain**2 * np.eye(min(rows, cols)), rtol=0, atol=1e-12)


def test_orthogonal_signs_are_not_biased():
    """With torch's sign fix the diagonal of W is symmetric around 0 (plain QR biases it)."""
    diagonals = np.concatenate(
        [np.diag(_draw("orthogonal", seed=s, shape=(20, 20))) for s in range(50)]
    )
    # 1000 entries, each N(0, 1/20)-like: the mean's standard error is about 0.007.
    assert abs(diagonals.mean()) < 0.05


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4), (1, 7)])
def test_identity_equals_numpy_eye(shape):
    """Identity is np.eye for any rectangular shape."""
    assert np.array_equal(_draw("identity", shape=shape), np.eye(*shape))


def test_zeros_are_exact():
    """Zeros is exactly 0 everywhere."""
    assert np.array_equal(_draw("zeros", shape=(3, 4)), np.zeros((3, 4)))


def test_ones_are_exact():
    """Ones is exactly 1 everywhere."""
    assert np.array_equal(_draw("ones", shape=(3, 4)), np.ones((3, 4)))


@pytest.mark.parametrize("value", [0.5, -2.25, 0.0, 3])
def test_constant_is_exact(value):
    """Constant fills every entry with the value."""
    assert np.array_equal(_draw("constant", shape=(3, 4), value=value), np.full((3, 4), value))


@pytest.mark.parametrize(
    ("shape", "sparsity"),
    [((50, 40), 0.1), ((50, 40), 0.33), ((70, 9), 0.1), ((10, 5), 0.0), ((10, 5), 1.0)],
)
def test_sparse_zeros_per_column_are_exact(shape, sparsity):
    """Each column has exactly ceil(sparsity * rows) zeros (computed in exact arithmetic)."""
    expected = math.ceil(Fraction(str(sparsity)) * shape[0])
    w = _draw("sparse", shape=shape, sparsity=sparsity, std=1.0)
    assert np.array_equal((w == 0).sum(axis=0), np.full(shape[1], expected))


def test_sparse_zero_rows_differ_between_columns():
    """The zeroed rows are chosen independently for each column."""
    w = _draw("sparse", shape=(50, 40), sparsity=0.1, std=1.0)
    patterns = {tuple(np.flatnonzero(w[:, j] == 0)) for j in range(w.shape[1])}
    assert len(patterns) > 1


def test_sparse_nonzeros_have_the_given_std():
    """The entries that are not zeroed are N(0, std^2)."""
    w = _draw("sparse", sparsity=0.25, std=0.2)
    assert w[w != 0].std() == pytest.approx(0.2, rel=0.01)


# ------------------------------------------------------------------------------------------
# Names and aliases
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("alias", "canonical"), sorted(ALIASES.items()))
def test_every_alias_resolves_to_its_canonical_name(alias, canonical):
    """Aliases map to the registry key."""
    assert resolve_initializer(alias) == canonical


def test_aliases_are_the_documented_ones():
    """The other names users may know."""
    assert ALIASES == {
        "glorot_uniform": "xavier_uniform",
        "glorot_normal": "xavier_normal",
        "kaiming_uniform": "he_uniform",
        "kaiming_normal": "he_normal",
        "eye": "identity",
        "pytorch_default": "torch_default",
    }


@pytest.mark.parametrize("name", list(INITIALIZERS))
def test_canonical_names_resolve_to_themselves(name):
    """Canonical names pass through."""
    assert resolve_initializer(name) == name


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        (" Xavier-Uniform ", "xavier_uniform"),
        ("HE_NORMAL", "he_normal"),
        ("kaiming normal", "he_normal"),
        ("Glorot-Normal", "xavier_normal"),
        ("EYE", "identity"),
    ],
)
def test_names_ignore_case_spaces_and_hyphens(spelling, canonical):
    """Users may type names loosely."""
    assert resolve_initializer(spelling) == canonical


def test_initialize_accepts_an_alias():
    """initialize resolves aliases: kaiming_normal is he_normal."""
    assert np.array_equal(_draw("kaiming_normal", shape=(4, 6)), _draw("he_normal", shape=(4, 6)))


@pytest.mark.parametrize("bad", ["foo", "", "xavier", 3, None])
def test_unknown_initializer_lists_valid_names(bad):
    """The message names the bad input, every valid name and every alias."""
    with pytest.raises(ValueError, match="Unknown initializer") as excinfo:
        resolve_initializer(bad)
    message = str(excinfo.value)
    assert repr(bad) in message
    for name in [*INITIALIZERS, *ALIASES]:
        assert name in message


def test_unknown_initializer_message_format():
    """The exact wording users see."""
    with pytest.raises(ValueError) as excinfo:
        initialize("foo", (2, 2), np.random.default_rng(0))
    assert str(excinfo.value).startswith(
        "Unknown initializer 'foo'. Valid names: zeros, ones, constant, uniform"
    )
    assert "(aliases: glorot_uniform, glorot_normal" in str(excinfo.value)


# ------------------------------------------------------------------------------------------
# Parameter validation
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        (
            "normal",
            {"std": -1},
            "Initializer 'normal': parameter 'std' must be a number >= 0 and <= 1e+06. Got -1.",
        ),
        (
            "normal",
            {"gain": 1.0},
            "Initializer 'normal': unknown parameter 'gain'. Valid parameters: mean, std.",
        ),
        (
            "he_normal",
            {"mode": "x"},
            "Initializer 'he_normal': parameter 'mode' must be one of fan_in, fan_out. Got 'x'.",
        ),
    ],
)
def test_validation_messages_are_exact(name, params, message):
    """Messages name the initializer, the parameter, the rule and the value."""
    with pytest.raises(ValueError) as excinfo:
        validate_init_params(name, params)
    assert str(excinfo.value) == message


@pytest.mark.parametrize(
    ("name", "params", "param_name"),
    [
        ("normal", {"std": -0.5}, "std"),
        ("normal", {"std": float("nan")}, "std"),
        ("normal", {"mean": float("inf")}, "mean"),
        ("normal", {"std": True}, "std"),
        ("normal", {"std": "abc"}, "std"),
        ("normal", {"mean": None}, "mean"),
        ("constant", {"value": float("-inf")}, "value"),
        ("constant", {"value": [1.0]}, "value"),
        ("uniform", {"a": np.bool_(False)}, "a"),
        ("truncated_normal", {"std": -0.1}, "std"),
        ("truncated_normal", {"a": float("nan")}, "a"),
        ("xavier_uniform", {"gain": -0.5}, "gain"),
        ("xavier_normal", {"gain": "big"}, "gain"),
        ("orthogonal", {"gain": -1.0}, "gain"),
        ("he_uniform", {"nonlinearity": "swish"}, "nonlinearity"),
        ("he_uniform", {"mode": 1}, "mode"),
        ("he_normal", {"mode": "fan_avg"}, "mode"),
        ("sparse", {"sparsity": 1.5}, "sparsity"),
        ("sparse", {"sparsity": -0.1}, "sparsity"),
        ("sparse", {"std": -1.0}, "std"),
        ("lecun_normal", {"gain": 1.0}, "gain"),
        ("zeros", {"value": 0.0}, "value"),
    ],
)
def test_bad_parameter_raises_naming_it(name, params, param_name):
    """Each bad value is refused at the boundary with the parameter's name in the message."""
    with pytest.raises(ValueError, match=f"Initializer '{name}'.*'{param_name}'"):
        initialize(name, (3, 4), np.random.default_rng(0), **params)


@pytest.mark.parametrize("params", [{"a": 0.1, "b": 0.1}, {"a": 0.2, "b": -0.2}])
def test_uniform_requires_a_below_b(params):
    """The message names both bounds and their values."""
    with pytest.raises(ValueError, match="'a' must be less than parameter 'b'") as excinfo:
        validate_init_params("uniform", params)
    assert f"a={params['a']:g}, b={params['b']:g}" in str(excinfo.value)


def test_truncated_normal_requires_a_below_b():
    """Truncation bounds must be ordered."""
    with pytest.raises(ValueError, match="'a' must be less than parameter 'b'"):
        validate_init_params("truncated_normal", {"a": 1.0, "b": -1.0})


def test_unknown_parameter_on_parameterless_scheme_says_none():
    """A scheme without parameters says so."""
    with pytest.raises(ValueError, match="Valid parameters: none"):
        validate_init_params("lecun_uniform", {"std": 1.0})


def test_validation_fills_defaults_and_converts_numbers():
    """Ints and numeric strings become floats; missing parameters take their default."""
    values = validate_init_params("truncated_normal", {"std": 1, "b": "1.5", "mean": np.float32(2)})
    assert values == {"mean": 2.0, "std": 1.0, "a": -2.0, "b": 1.5}
    assert all(type(v) is float for v in values.values())


def test_validation_normalizes_choices():
    """Choices accept the same loose spelling as names."""
    assert validate_init_params("he_uniform", {"mode": "Fan-Out", "nonlinearity": " TANH"}) == {
        "mode": "fan_out",
        "nonlinearity": "tanh",
    }


def test_validation_accepts_boundary_values():
    """Bounds are inclusive: sparsity 0 and 1, std 0, gain 0."""
    assert validate_init_params("sparse", {"sparsity": 0, "std": 0})["sparsity"] == 0.0
    assert validate_init_params("sparse", {"sparsity": 1})["sparsity"] == 1.0
    assert validate_init_params("orthogonal", {"gain": 0})["gain"] == 0.0


def test_validation_accepts_an_alias():
    """Parameters are validated for the canonical scheme behind an alias."""
    with pytest.raises(ValueError, match="Initializer 'he_normal'"):
        validate_init_params("kaiming_normal", {"mode": "x"})


@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (-1, 2), (2.0, 3), (True, 3), (3,), (2, 3, 4)])
def test_initialize_rejects_bad_shape(shape):
    """Shapes must be two integers >= 1."""
    with pytest.raises(ValueError, match="integers? >= 1"):
        initialize("normal", shape, np.random.default_rng(0))


def test_initialize_accepts_numpy_integer_shape():
    """Shapes computed with numpy integers are fine."""
    shape = (np.int64(2), np.int32(3))
    assert initialize("normal", shape, np.random.default_rng(0)).shape == (2, 3)


@pytest.mark.parametrize("rng", [None, 0, np.random.RandomState(0)])
def test_initialize_requires_a_generator(rng):
    """Randomness must be passed in as np.random.Generator."""
    with pytest.raises(TypeError, match="Generator"):
        initialize("normal", (2, 3), rng)


# ------------------------------------------------------------------------------------------
# Bias initializers
# ------------------------------------------------------------------------------------------


def test_bias_registry_has_the_documented_schemes_in_order():
    """The bias menu order."""
    assert list(BIAS_INITIALIZERS) == ["zeros", "constant", "normal", "uniform", "torch_default"]


@pytest.mark.parametrize("n_units", [1, 7])
@pytest.mark.parametrize("name", list(BIAS_INITIALIZERS))
def test_bias_has_shape_units(name, n_units):
    """A bias is a float64 vector with one entry per unit."""
    b = initialize_bias(name, n_units, 5, np.random.default_rng(0))
    assert b.shape == (n_units,)
    assert b.dtype == np.float64


def test_bias_zeros_and_constant_are_exact():
    """Deterministic bias schemes give exact values."""
    rng = np.random.default_rng(0)
    assert np.array_equal(initialize_bias("zeros", 4, 5, rng), np.zeros(4))
    assert np.array_equal(initialize_bias("constant", 4, 5, rng), np.full(4, 0.1))
    assert np.array_equal(initialize_bias("constant", 4, 5, rng, value=-1), np.full(4, -1.0))


@pytest.mark.parametrize("fan_in", [4, 700])
def test_bias_torch_default_fills_plus_minus_inverse_sqrt_fan_in(fan_in):
    """torch_default bias is U(-1/sqrt(fan_in), 1/sqrt(fan_in)), like nn.Linear.bias."""
    bound = 1.0 / math.sqrt(fan_in)
    b = initialize_bias("torch_default", 100_000, fan_in, np.random.default_rng(0))
    assert -bound <= b.min() <= -bound * (1 - 1e-3)
    assert bound * (1 - 1e-3) <= b.max() <= bound
    assert b.std() == pytest.approx(bound / SQRT3, rel=0.01)


@pytest.mark.parametrize(
    ("name", "params", "mean", "std"),
    [
        ("normal", {}, 0.0, 0.1),
        ("normal", {"mean": 1.0, "std": 0.5}, 1.0, 0.5),
        ("uniform", {}, 0.0, 0.2 / math.sqrt(12.0)),
        ("uniform", {"a": 0.0, "b": 1.0}, 0.5, 1.0 / math.sqrt(12.0)),
    ],
)
def test_bias_random_schemes_match_formula(name, params, mean, std):
    """Bias moments match N(mean, std^2) and U(a, b) over 200,000 draws."""
    n = 200_000
    b = initialize_bias(name, n, 5, np.random.default_rng(0), **params)
    assert abs(b.mean() - mean) <= 6.0 * std / math.sqrt(n)
    assert b.std() == pytest.approx(std, rel=0.01)


@pytest.mark.parametrize(
    ("name", "params"),
    [("zeros", {}), ("constant", {"value": 0.3}), ("normal", {"mean": 1.0, "std": 0.3}),
     ("uniform", {"a": -0.2, "b": 0.4})],
)
def test_bias_draws_like_the_weight_scheme_of_the_same_name(name, params):
    """A bias of 12 units holds the numbers a 3 x 4 weight matrix of that scheme holds."""
    b = initialize_bias(name, 12, 5, np.random.default_rng(6), **params)
    w = initialize(name, (3, 4), np.random.default_rng(6), **params)
    assert np.array_equal(b, w.ravel())


def test_bias_same_seed_gives_identical_vectors():
    """Bias randomness comes from the generator passed in."""
    first = initialize_bias("normal", 6, 5, np.random.default_rng(4))
    assert np.array_equal(first, initialize_bias("normal", 6, 5, np.random.default_rng(4)))


def test_bias_alias_resolves():
    """pytorch_default names the torch_default bias, case-insensitively."""
    assert resolve_bias_initializer("PyTorch-Default") == "torch_default"


def test_unknown_bias_initializer_lists_valid_names():
    """The bias resolver has its own message and list."""
    with pytest.raises(ValueError, match="Unknown bias initializer 'xavier_uniform'") as excinfo:
        resolve_bias_initializer("xavier_uniform")
    for name in BIAS_INITIALIZERS:
        assert name in str(excinfo.value)


@pytest.mark.parametrize(
    ("name", "params", "param_name"),
    [
        ("normal", {"std": -1}, "std"),
        ("constant", {"value": float("nan")}, "value"),
        ("uniform", {"a": 1.0, "b": 0.0}, "a"),
        ("zeros", {"value": 1.0}, "value"),
    ],
)
def test_bad_bias_parameter_raises_naming_it(name, params, param_name):
    """Bias parameters are validated with the same kind of message."""
    with pytest.raises(ValueError, match=f"Bias initializer '{name}'.*'{param_name}'"):
        initialize_bias(name, 3, 5, np.random.default_rng(0), **params)


def test_bias_validation_fills_defaults():
    """Missing bias parameters take their default."""
    assert validate_bias_params("uniform", {"b": 1}) == {"a": -0.1, "b": 1.0}


@pytest.mark.parametrize(
    ("args", "field"),
    [(("normal", (0, 3)), "shape"), (("normal", (3,)), "shape")],
)
def test_bad_shape_error_names_the_field(args, field):
    """Shape errors are ConfigErrors whose field is the argument at fault."""
    with pytest.raises(ConfigError) as excinfo:
        initialize(*args, np.random.default_rng(0))
    assert excinfo.value.field == field


@pytest.mark.parametrize(("n_units", "fan_in"), [(0, 5), (3, 0), (2.5, 5), (3, True)])
def test_initialize_bias_rejects_bad_sizes(n_units, fan_in):
    """Sizes must be integers >= 1."""
    with pytest.raises(ValueError, match="integers? >= 1"):
        initialize_bias("zeros", n_units, fan_in, np.random.default_rng(0))
