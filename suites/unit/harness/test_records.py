"""Records: validation of measured values and the environment fingerprint."""

import math
from dataclasses import FrozenInstanceError, replace

import pytest

from harness.records import Environment, Measurement, MeasurementStatus, as_finite_float


class NumpyLikeScalar:
    """Stands for numpy/torch scalars: numbers that expose `.item()`."""

    def __init__(self, value):
        self.value = value

    def item(self):
        """The Python number inside."""
        return self.value


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(1, 1.0), (0.5, 0.5), (True, 1.0), ("2.5", 2.5), (NumpyLikeScalar(3), 3.0)],
)
def test_finite_values_become_floats(raw, expected):
    assert as_finite_float(raw) == expected


@pytest.mark.parametrize(
    "raw", [math.nan, math.inf, -math.inf, None, "abc", NumpyLikeScalar(math.nan)]
)
def test_non_finite_values_are_invalid_not_dropped(raw):
    item = Measurement.checked("run", "test", "metric", raw)
    assert item.value is None
    assert item.status is MeasurementStatus.INVALID


def test_real_numpy_scalar_is_converted():
    numpy = pytest.importorskip("numpy")
    item = Measurement.checked("run", "test", "metric", numpy.float32(0.25))
    assert isinstance(item.value, float) and item.value == 0.25


def test_fingerprint_changes_with_identity_fields_only():
    base = Environment(python="3.11", torch="2.13.0", hostname="a", ci_url="https://ci/1")
    assert base.fingerprint == replace(base, ci_url="https://ci/2").fingerprint
    assert base.fingerprint != replace(base, torch="2.14.0").fingerprint
    assert base.fingerprint != replace(base, hostname="b").fingerprint


def test_environment_json_round_trip_ignores_unknown_keys():
    env = Environment(python="3.11", gpu_count=2, gpu_name="H100")
    text = env.to_json()[:-1] + ', "from_the_future": 1}'
    assert Environment.from_json(text) == env


def test_records_are_frozen():
    item = Measurement.checked("run", "test", "metric", 1.0)
    with pytest.raises(FrozenInstanceError):
        item.value = 2.0  # type: ignore[misc]
