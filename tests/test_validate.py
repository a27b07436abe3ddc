"""sim.validate: the strict mode of the number checks (values from Python code, not text)."""

import numpy as np
import pytest

from sim.validate import ConfigError, check_float, check_int


@pytest.mark.parametrize("value", ["3", 3.0])
def test_check_int_converts_text_and_integral_floats(value):
    """From URLs and the command line, "3" and 3.0 are the integer 3."""
    assert check_int("n", value, 1, 10) == 3


@pytest.mark.parametrize("value", ["3", 3.0, True])
def test_strict_check_int_accepts_integers_only(value):
    """strict: text and floats are refused, with the usual message and field."""
    with pytest.raises(ConfigError, match=r"n must be an integer between 1 and 10\. Got") as exc:
        check_int("n", value, 1, 10, strict=True)
    assert exc.value.field == "n"


def test_strict_check_int_accepts_numpy_integers():
    """numpy integers are integers."""
    assert check_int("n", np.int64(3), 1, 10, strict=True) == 3


def test_strict_check_float_refuses_text():
    """strict: "0.5" is refused; real numbers, numpy's included, are accepted."""
    assert check_float("x", "0.5", 0.0, 1.0) == 0.5
    with pytest.raises(ConfigError, match=r"x must be a number >= 0 and <= 1\. Got '0.5'\."):
        check_float("x", "0.5", 0.0, 1.0, strict=True)
    assert check_float("x", np.float32(0.5), 0.0, 1.0, strict=True) == 0.5
