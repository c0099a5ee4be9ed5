"""What differs between two runs (or two tests): configuration, environment, git, metrics.

Pure: records in, a list of `Difference` out. `harness diff` prints it; the HTML report shows
it for the last good and first bad run of each flagged commit range.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from harness.records import Environment, Measurement, Run

CONFIG, ENVIRONMENT, GIT, METRICS = "config", "environment", "git", "metrics"
SECTIONS = (CONFIG, ENVIRONMENT, GIT, METRICS)
# Context, not identity: the CI link differs on every run and says nothing about why.
# The packages are compared one by one (`_packages`).
ENVIRONMENT_SKIPPED = ("ci_url", "packages")


@dataclass(frozen=True)
class Difference:  # pylint: disable=too-many-instance-attributes  # one row a reader scans
    """One compared item: `a` and `b` are its values in the two sides (None: absent)."""

    section: str
    test: str  # the test (or "A ↔ B" when two tests are compared); "" for the whole run
    key: str
    a: Any
    b: Any
    unit: str = ""
    change_pct: float | None = None

    @property
    def changed(self) -> bool:
        """Whether the two sides differ."""
        return self.a != self.b


@dataclass(frozen=True)
class Side:
    """One side of a diff: a run, what its tests ran with, what they measured."""

    run: Run
    configs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    measurements: Sequence[Measurement] = ()


def flatten(mapping: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings as dotted keys: {"train": {"lr": 0.1}} -> {"train.lr": 0.1}."""
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def pairs(a: Side, b: Side, test_a: str | None = None, test_b: str | None = None
          ) -> list[tuple[str, str]]:
    """The (test of A, test of B) pairs to compare: the named ones, else every test id that
    either side has (a test only one side ran is paired with itself)."""
    if test_a or test_b:
        return [(test_a or test_b or "", test_b or test_a or "")]
    tests = set(a.configs) | set(b.configs) | {m.test for m in (*a.measurements,
                                                                 *b.measurements)}
    return [(test, test) for test in sorted(tests)]


def pair_label(test_a: str, test_b: str) -> str:
    """How a compared pair of tests is named in the output."""
    return test_a if test_a == test_b else f"{test_a} ↔ {test_b}"


def diff_sides(a: Side, b: Side, test_pairs: Sequence[tuple[str, str]],
               everything: bool = False) -> list[Difference]:
    """Every difference between `a` and `b` (with `everything`: every compared item),
    by section: configuration per test pair, environment, git, metrics per test pair."""
    found: list[Difference] = []
    for test_a, test_b in test_pairs:
        found.extend(_config(a, b, test_a, test_b))
    found.extend(_environment(a.run.env, b.run.env))
    found.extend(_git(a.run, b.run))
    for test_a, test_b in test_pairs:
        found.extend(_metrics(a, b, test_a, test_b))
    return found if everything else [item for item in found if item.changed]


def _config(a: Side, b: Side, test_a: str, test_b: str) -> list[Difference]:
    left = flatten(a.configs.get(test_a, {}))
    right = flatten(b.configs.get(test_b, {}))
    label = pair_label(test_a, test_b)
    return [Difference(CONFIG, label, key, left.get(key), right.get(key))
            for key in sorted(set(left) | set(right))]


def _environment(a: Environment, b: Environment) -> list[Difference]:
    return [Difference(ENVIRONMENT, "", item.name, getattr(a, item.name), getattr(b, item.name))
            for item in fields(Environment) if item.name not in ENVIRONMENT_SKIPPED] + \
        _packages(a, b)


def _packages(a: Environment, b: Environment) -> list[Difference]:
    """Installed packages, one item each (`package NAME`); none when a side did not record
    them (runs of older harness versions)."""
    if not a.packages or not b.packages:
        return []
    left, right = dict(a.packages), dict(b.packages)
    return [Difference(ENVIRONMENT, "", f"package {name}", left.get(name), right.get(name))
            for name in sorted(set(left) | set(right))]


def _git(a: Run, b: Run) -> list[Difference]:
    return [
        Difference(GIT, "", "commit", a.git.commit, b.git.commit),
        Difference(GIT, "", "branch", a.git.branch, b.git.branch),
        Difference(GIT, "", "subject", a.git.subject, b.git.subject),
        Difference(GIT, "", "dirty", a.git.dirty, b.git.dirty),
    ]


def _metrics(a: Side, b: Side, test_a: str, test_b: str) -> list[Difference]:
    left = {m.metric: m for m in a.measurements if m.test == test_a}
    right = {m.metric: m for m in b.measurements if m.test == test_b}
    label = pair_label(test_a, test_b)
    found = []
    for metric in sorted(set(left) | set(right)):
        one, other = left.get(metric), right.get(metric)
        value_a = one.value if one else None
        value_b = other.value if other else None
        either = other or one
        found.append(Difference(METRICS, label, metric, value_a, value_b,
                                either.unit if either else "", _change(value_a, value_b)))
    return found


def _change(before: float | None, after: float | None) -> float | None:
    """The change from `before` to `after` in percent (None when unknown or from zero)."""
    if before is None or after is None or before == 0:
        return None
    return (after - before) / abs(before) * 100.0


def commit_range(a: Run, b: Run) -> str:
    """`a..b` in short commits ('-' for an unknown commit), or one commit when equal."""
    if a.git.commit == b.git.commit:
        return a.git.short_commit
    return f"{a.git.short_commit}..{b.git.short_commit}"


def shown(value: Any) -> str:
    """A compared value as text: '-' for absent, numbers with up to 6 significant digits."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(shown(item) for item in value) or "[]"
    if isinstance(value, Mapping) and not value:
        return "{}"
    return str(value)


def last_good_run(points: Sequence[Any], first_bad_run: str) -> str | None:
    """The run before `first_bad_run` in its environment segment, from a series' points
    (anything with `run_id` and `env`, oldest first); None when it is the first."""
    previous: dict[str, str] = {}
    for point in points:
        if point.run_id == first_bad_run:
            return previous.get(point.env)
        previous[point.env] = point.run_id
    return None
