"""Records read back whole: short commits, device labels, the fingerprint's exact hash,
JSON round trips, checked measurements, verdict dictionaries, triage and stored verdicts."""

from __future__ import annotations

import hashlib
import json
from dataclasses import fields, replace
from datetime import datetime, timedelta, timezone

import pytest

from harness.records import (
    FINGERPRINT_FIELDS,
    Environment,
    GitInfo,
    Measurement,
    MeasurementStatus,
    StoredVerdict,
    Triage,
    TriageState,
    Verdict,
    VerdictKind,
    VerdictState,
    as_finite_float,
    utc_now,
    verdict_key,
)

T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)


def test_utc_now_is_aware_and_current():
    before = datetime.now(timezone.utc)
    now = utc_now()
    assert now.tzinfo is timezone.utc
    assert before <= now <= datetime.now(timezone.utc)


def test_a_short_commit_is_eight_characters_or_a_dash():
    assert GitInfo(commit="0123456789abcdef").short_commit == "01234567"
    assert GitInfo().short_commit == "-"


def test_the_fingerprint_is_the_sha256_of_the_identity_fields():
    env = Environment(python="3.11", torch="2.13.0", cuda="12.4", gpu_count=2,
                      hostname="node-1", platform="Linux", ci_url="https://ci/1",
                      packages=(("numpy", "2.0"),))
    identity = {name: getattr(env, name) for name in FINGERPRINT_FIELDS}
    expected = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:12]
    assert env.fingerprint == expected
    assert len(env.fingerprint) == 12
    for name in FINGERPRINT_FIELDS:
        changed = replace(env, **{name: 3 if name == "gpu_count" else "other"})
        assert changed.fingerprint != env.fingerprint, name
    assert replace(env, platform="Darwin", packages=()).fingerprint == env.fingerprint


@pytest.mark.parametrize(("env", "label"), [
    (Environment(gpu_name="H100", gpu_count=1, cpu_model="Xeon"), "H100"),
    (Environment(gpu_name="H100", gpu_count=0), "H100"),
    (Environment(gpu_name="H100", gpu_count=2), "2x H100"),
    (Environment(cpu_model="Xeon"), "Xeon"),
    (Environment(), "cpu"),
])
def test_the_device_label_names_the_gpus_or_the_cpu(env, label):
    assert env.device_label == label


def test_an_environment_round_trips_through_json_with_its_packages():
    env = Environment(python="3.11", torch="2.13.0", cuda="12.4", cudnn="9", gpu_name="H100",
                      gpu_count=2, gpu_driver="550", cpu_model="Xeon", hostname="node-1",
                      platform="Linux", ci_url="https://ci/1", image_digest="sha256:ab",
                      packages=(("numpy", "2.0"), ("torch", "2.13.0")))
    text = env.to_json()
    assert json.loads(text)["packages"] == [["numpy", "2.0"], ["torch", "2.13.0"]]
    assert list(json.loads(text)) == sorted(field.name for field in fields(Environment))
    assert Environment.from_json(text) == env
    assert Environment.from_json("") == Environment()
    assert Environment.from_json('{"packages": [[1, 2]]}').packages == (("1", "2"),)


def test_a_checked_measurement_keeps_every_field():
    item = Measurement.checked("run1", "t.py::test_a", "step_ms", 2, "ms", False,
                               details={"rounds": 5})
    assert (item.run_id, item.test, item.metric, item.value, item.unit,
            item.higher_is_better, item.status, item.details) == (
        "run1", "t.py::test_a", "step_ms", 2.0, "ms", False, MeasurementStatus.OK,
        {"rounds": 5})
    assert isinstance(item.value, float)
    plain = Measurement.checked("run1", "t", "m", 1.5)
    assert (plain.unit, plain.higher_is_better, plain.details) == ("", True, {})
    assert plain.recorded_at.tzinfo is not None


class Failing:
    """A scalar whose `.item()` raises the given error."""

    def __init__(self, error):
        self.error = error

    def item(self):
        """Raise."""
        raise self.error


@pytest.mark.parametrize("error", [TypeError("x"), ValueError("x"), RuntimeError("x")])
def test_a_scalar_that_cannot_give_its_item_is_no_number(error):
    assert as_finite_float(Failing(error)) is None


def test_booleans_and_non_callable_items_are_numbers():
    assert as_finite_float(False) == 0.0

    class Holder(float):
        """A float with a non-callable `item` attribute."""

        item = 3

    assert as_finite_float(Holder(2.5)) == 2.5


def verdict(**changes) -> Verdict:
    """A verdict with every field set."""
    base = Verdict(test="t.py::test_a", metric="step_ms", kind=VerdictKind.REGRESSION,
                   run_id="run5", run_index=5, commit="b" * 40, last_good_commit="a" * 40,
                   commit_range="a..b", env_fingerprint="fp1", baseline=40.0, value=52.0,
                   change_abs=12.0, change_pct=30.0, confidence=0.97, noise=0.4,
                   min_detectable_change=1.5, higher_is_better=False, unit="ms",
                   confirmed=False, image_digest="sha256:ab", repro="nox", p_value=0.001,
                   runs=("run5", "run6"))
    return replace(base, **changes)


def test_a_verdict_round_trips_through_a_json_dictionary():
    item = verdict()
    data = item.to_dict()
    assert data["kind"] == "regression" and data["runs"] == ("run5", "run6")
    assert type(data["kind"]) is str  # pylint: disable=unidiomatic-typecheck  # not the enum
    assert list(data) == [field.name for field in fields(Verdict)]
    decoded = json.loads(json.dumps(data))
    assert Verdict.from_dict(decoded) == item
    assert Verdict.from_dict({**decoded, "from_the_future": 1}) == item
    without_runs = {key: value for key, value in decoded.items() if key != "runs"}
    assert Verdict.from_dict(without_runs) == replace(item, runs=())


def test_only_regressions_are_regressions():
    assert verdict().is_regression
    for kind in VerdictKind:
        assert verdict(kind=kind).is_regression is (kind is VerdictKind.REGRESSION)


def test_a_triage_holds_until_its_expiry():
    assert Triage(TriageState.EXPECTED).active()
    later = Triage(TriageState.EXPECTED, expires_at=T0 + timedelta(days=1))
    assert later.active(T0)
    assert not later.active(T0 + timedelta(days=1))
    assert not later.active(T0 + timedelta(days=2))
    assert not Triage(TriageState.EXPECTED, expires_at=T0).active()  # now is after T0


def test_triage_labels():
    assert Triage(TriageState.ACKNOWLEDGED).label == "acknowledged"
    assert Triage(TriageState.EXPECTED, note="new augmentation").label \
        == "expected: new augmentation"
    assert Triage(TriageState.FIXED, note="reverted", fixed_by="0123456789abcdef").label \
        == "fixed by 0123456789: reverted"
    assert Triage(TriageState.FIXED, fixed_by="abc").label == "fixed by abc"


def test_the_verdict_key_is_a_sha1_prefix_of_its_fields():
    text = "\0".join(("t", "m", "fp", "run1", "regression"))
    assert verdict_key("t", "m", "fp", "run1", "regression") \
        == hashlib.sha1(text.encode()).hexdigest()[:16]


def test_a_stored_verdict_is_open_triaged_and_failing_by_state_and_triage():
    def stored(state, triage=None, kind=VerdictKind.REGRESSION):
        return StoredVerdict("k", verdict(kind=kind), state, T0, T0, triage)

    assert stored(VerdictState.CONFIRMED).is_open
    assert stored(VerdictState.UNCONFIRMED).is_open
    assert not stored(VerdictState.RETRACTED).is_open
    assert stored(VerdictState.CONFIRMED).fails(T0)
    assert not stored(VerdictState.UNCONFIRMED).fails(T0)
    assert not stored(VerdictState.CONFIRMED, kind=VerdictKind.IMPROVEMENT).fails(T0)
    expiring = Triage(TriageState.EXPECTED, expires_at=T0 + timedelta(days=1))
    assert stored(VerdictState.CONFIRMED, expiring).triaged(T0)
    assert not stored(VerdictState.CONFIRMED, expiring).fails(T0)
    assert not stored(VerdictState.CONFIRMED).triaged(T0)
    assert not stored(VerdictState.CONFIRMED, expiring).triaged(T0 + timedelta(days=2))
    assert stored(VerdictState.CONFIRMED, expiring).fails(T0 + timedelta(days=2))
