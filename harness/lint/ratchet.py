"""Compare current lint messages with the baseline: fewer is fine, more or errors fail."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from harness.lint.baseline import Fingerprint, count, fingerprint
from harness.lint.pylint_run import LintMessage


@dataclass(frozen=True)
class Increase:
    """A fingerprint seen more often than the baseline allows, with every current occurrence
    (the tool cannot tell which of them is the new one)."""

    key: Fingerprint
    allowed: int
    found: int
    occurrences: tuple[LintMessage, ...]


@dataclass(frozen=True)
class Comparison:
    """The outcome of one ratchet check."""

    increases: tuple[Increase, ...]
    errors: tuple[LintMessage, ...]
    fixed: int  # how many baselined messages are gone
    current: Counter[Fingerprint]

    @property
    def passed(self) -> bool:
        """No count rose and no error-category message exists."""
        return not self.increases and not self.errors


def compare(baseline: Counter[Fingerprint], messages: Sequence[LintMessage]) -> Comparison:
    """Check `messages` against `baseline`."""
    current = count(messages)
    increases = tuple(
        Increase(key, baseline[key], found,
                 tuple(m for m in messages if not m.is_error and fingerprint(m) == key))
        for key, found in sorted(current.items())
        if found > baseline[key]
    )
    fixed = sum(max(allowed - current[key], 0) for key, allowed in baseline.items())
    errors = tuple(m for m in messages if m.is_error)
    return Comparison(increases, errors, fixed, current)


def tightened(
    baseline: Counter[Fingerprint], current: Counter[Fingerprint]
) -> Counter[Fingerprint]:
    """The baseline lowered to what remains: no count ever rises, gone ones are dropped."""
    return Counter({
        key: min(allowed, current[key])
        for key, allowed in baseline.items()
        if min(allowed, current[key]) > 0
    })
