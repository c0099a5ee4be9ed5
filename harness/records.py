"""Frozen records that flow through the harness: runs, measurements and their context.

This module imports nothing of ours; every other module may import it.
"""

from __future__ import annotations

import enum
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from typing import Any


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC (what every record stores)."""
    return datetime.now(timezone.utc)


class RunStatus(str, enum.Enum):
    """Lifecycle of a run: it is incomplete until the session that made it ends."""

    INCOMPLETE = "incomplete"
    COMPLETE = "complete"
    FAILED = "failed"


class MeasurementStatus(str, enum.Enum):
    """Whether a measured value is usable; invalid values are kept, never dropped."""

    OK = "ok"
    INVALID = "invalid"


@dataclass(frozen=True)
class GitInfo:
    """Where the code under test came from."""

    commit: str = ""
    branch: str = ""
    subject: str = ""
    commit_time: str = ""
    dirty: bool = False

    @property
    def short_commit(self) -> str:
        """The commit's short sha (8 characters), or '-' when unknown."""
        return self.commit[:8] if self.commit else "-"


# Fields whose change starts a new history segment: a different machine or software stack
# makes earlier numbers incomparable. CI URL and timestamps are context, not identity.
# `hostname` holds the testbed's name (HARNESS_TESTBED, default the host name), so fleets
# and ephemeral runners name one testbed; `image_digest` is the digest of the image's
# dependency layers (HARNESS_DEPS_DIGEST), so a per-commit code layer does not split history
# (see harness.measure.environment).
FINGERPRINT_FIELDS = (
    "python",
    "torch",
    "cuda",
    "cudnn",
    "gpu_name",
    "gpu_count",
    "gpu_driver",
    "cpu_model",
    "hostname",
    "image_digest",
)


@dataclass(frozen=True)
class Environment:  # pylint: disable=too-many-instance-attributes  # one per recorded fact
    """What the run executed on. `fingerprint` identifies comparable environments."""

    python: str = ""
    torch: str = ""
    cuda: str = ""
    cudnn: str = ""
    gpu_name: str = ""
    gpu_count: int = 0
    gpu_driver: str = ""
    cpu_model: str = ""
    hostname: str = ""
    platform: str = ""
    ci_url: str = ""
    image_digest: str = ""
    # (distribution, version) of every installed Python package, sorted: context for
    # `harness diff`, not identity (the torch version and the image digest are)
    packages: tuple[tuple[str, str], ...] = ()

    @property
    def fingerprint(self) -> str:
        """A short stable hash of the identity fields (see FINGERPRINT_FIELDS)."""
        identity = {name: getattr(self, name) for name in FINGERPRINT_FIELDS}
        digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode())
        return digest.hexdigest()[:12]

    @property
    def device_label(self) -> str:
        """A human label for the device: the GPU model, or the CPU model."""
        if self.gpu_name:
            return f"{self.gpu_count}x {self.gpu_name}" if self.gpu_count > 1 else self.gpu_name
        return self.cpu_model or "cpu"

    def to_json(self) -> str:
        """Serialise to a JSON object string."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Environment:
        """Parse what `to_json` wrote; unknown keys (from newer versions) are ignored."""
        data = json.loads(text or "{}")
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        if "packages" in values:
            values["packages"] = tuple((str(name), str(version))
                                       for name, version in values["packages"])
        return cls(**values)


@dataclass(frozen=True)
class Run:
    """One invocation of a suite: identity, provenance, environment and outcome."""

    run_id: str
    started_at: datetime
    git: GitInfo = field(default_factory=GitInfo)
    env: Environment = field(default_factory=Environment)
    status: RunStatus = RunStatus.INCOMPLETE
    ended_at: datetime | None = None


@dataclass(frozen=True)
class Measurement:  # pylint: disable=too-many-instance-attributes  # one stored row
    """One value of one metric measured by one test in one run.

    `details` is JSON-able evidence beside the value, kept in the store and never compared:
    `samples` (per-sample correctness of an accuracy, base64 of
    `harness.detect.mcnemar.pack_correctness`), and whatever the measurement knows of its own
    noise (rounds, confidence interval, what ended it, CPU time, machine load, GPU clocks).
    """

    run_id: str
    test: str
    metric: str
    value: float | None
    unit: str = ""
    higher_is_better: bool = True
    status: MeasurementStatus = MeasurementStatus.OK
    recorded_at: datetime = field(default_factory=utc_now)
    details: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def checked(
        cls,
        run_id: str,
        test: str,
        metric: str,
        value: object,
        unit: str = "",
        higher_is_better: bool = True,
        *,
        details: Mapping[str, Any] | None = None,
    ) -> Measurement:
        """Build a measurement from any numeric value, marking non-finite ones INVALID.

        Numpy and torch scalars are converted to float; NaN, infinities and values that are
        not numbers become `value=None` with status INVALID, so they are stored, not lost.
        """
        number = as_finite_float(value)
        status = MeasurementStatus.OK if number is not None else MeasurementStatus.INVALID
        return cls(run_id, test, metric, number, unit, higher_is_better, status,
                   details=dict(details or {}))


def as_finite_float(value: object) -> float | None:
    """`value` as a Python float, or None when it is not a finite number."""
    if isinstance(value, bool):
        return float(value)
    item = getattr(value, "item", None)
    if callable(item):
        try:
            value = item()
        except (TypeError, ValueError, RuntimeError):
            return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


class VerdictKind(str, enum.Enum):
    """What the detector concluded about a change in one series."""

    REGRESSION = "regression"
    IMPROVEMENT = "improvement"
    OUTLIER = "outlier"
    ENVIRONMENT_CHANGE = "environment_change"
    # A shift between runs of one commit in one environment: no code changed, so the machine
    # or its load did. Never a regression; it widens that series' noise.
    ENVIRONMENT_DRIFT = "environment_drift"


@dataclass(frozen=True)
class Verdict:  # pylint: disable=too-many-instance-attributes  # the evidence a reader needs
    """One detected change of one metric of one test, with the evidence and a repro recipe.

    `run_id`/`commit` name the first run that shows the change (the first bad one);
    `last_good_commit` the run before it. `commit_range` is the git range between them
    ("last_good..first_bad"), the commits a bisection has to search.
    """

    test: str
    metric: str
    kind: VerdictKind
    run_id: str
    run_index: int
    commit: str
    last_good_commit: str
    commit_range: str
    env_fingerprint: str
    baseline: float
    value: float
    change_abs: float
    change_pct: float | None
    confidence: float
    noise: float
    min_detectable_change: float
    higher_is_better: bool = True
    unit: str = ""
    confirmed: bool = True
    image_digest: str = ""
    repro: str = ""
    # Probability of a change at least this large by chance: the exact McNemar test where
    # both runs recorded per-sample correctness, else from the z-score (None: not computed).
    p_value: float | None = None
    # The runs the finding rests on (environment drift: the replicates of the one commit).
    runs: tuple[str, ...] = ()

    @property
    def is_regression(self) -> bool:
        """Whether this verdict should fail a CI check."""
        return self.kind is VerdictKind.REGRESSION

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready mapping (the kind as its string value)."""
        data = asdict(self)
        data["kind"] = self.kind.value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Verdict:
        """Parse what `to_dict` wrote; unknown keys (from newer versions) are ignored."""
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        values["kind"] = VerdictKind(str(values["kind"]))
        if "runs" in values:  # JSON has lists; the record holds a tuple
            values["runs"] = tuple(values["runs"])  # type: ignore[arg-type]
        return cls(**values)  # type: ignore[arg-type]


class VerdictState(str, enum.Enum):
    """Lifecycle of a stored verdict: suspected, then confirmed or retracted by later runs."""

    UNCONFIRMED = "unconfirmed"
    CONFIRMED = "confirmed"
    RETRACTED = "retracted"


class TriageState(str, enum.Enum):
    """What a person said about a verdict."""

    ACKNOWLEDGED = "acknowledged"
    EXPECTED = "expected"
    INVALID = "invalid"  # a false alarm: counts against the detector in `check --stats`
    FIXED = "fixed"


@dataclass(frozen=True)
class Triage:
    """A person's judgement of a verdict, with a note and an optional expiry."""

    state: TriageState
    note: str = ""
    fixed_by: str = ""
    expires_at: datetime | None = None
    triaged_at: datetime = field(default_factory=utc_now)

    def active(self, now: datetime | None = None) -> bool:
        """Whether the triage still holds (it has no expiry, or the expiry lies ahead)."""
        return self.expires_at is None or self.expires_at > (now or utc_now())

    @property
    def label(self) -> str:
        """'expected: new augmentation', 'fixed by abc123: ...'."""
        head = self.state.value + (f" by {self.fixed_by[:10]}" if self.fixed_by else "")
        return f"{head}: {self.note}" if self.note else head


def verdict_key(test: str, metric: str, env_fingerprint: str, run_id: str, kind: str) -> str:
    """The stable key of a verdict: series, environment segment, first bad run and kind."""
    text = "\0".join((test, metric, env_fingerprint, run_id, kind))
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:16]


@dataclass(frozen=True)
class StoredVerdict:
    """A verdict as the store keeps it: the evidence, its lifecycle state and its triage."""

    key: str
    verdict: Verdict
    state: VerdictState
    first_seen_at: datetime
    updated_at: datetime
    triage: Triage | None = None
    alerted_state: str = ""

    @property
    def is_open(self) -> bool:
        """Unconfirmed or confirmed (not retracted)."""
        return self.state is not VerdictState.RETRACTED

    def triaged(self, now: datetime | None = None) -> bool:
        """Whether a person's triage holds for it now."""
        return self.triage is not None and self.triage.active(now)

    def fails(self, now: datetime | None = None) -> bool:
        """A confirmed regression nobody has triaged: fails the nightly."""
        return (self.verdict.is_regression and self.state is VerdictState.CONFIRMED
                and not self.triaged(now))
