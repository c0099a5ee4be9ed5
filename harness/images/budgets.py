"""Budgets: absolute limits on image size, what the debug image adds, and wasted bytes."""

from __future__ import annotations

from dataclasses import dataclass

from harness.images.config import Budgets, format_size


@dataclass(frozen=True)
class Measured:
    """The numbers a build is judged by (bytes)."""

    base: int
    debug: int | None
    wasted: int
    floor: int


@dataclass(frozen=True)
class Verdict:
    """One budget line: what was measured, its limit, and whether it holds."""

    name: str
    measured: str
    limit: str
    ok: bool


def check(measured: Measured, budgets: Budgets) -> list[Verdict]:
    """Every configured budget, judged; an unset budget is not listed."""
    lines: list[tuple[str, float | None, float | None, bool]] = [
        ("base image size", measured.base, budgets.base, False),
        ("debug image size", measured.debug, budgets.debug, False),
        ("debug adds", None if measured.debug is None else measured.debug - measured.base,
         budgets.debug_added, False),
        ("wasted bytes (worst image)", measured.wasted, budgets.wasted, False),
        ("base / floor (OS + Python env)",
         measured.base / measured.floor if measured.floor else None, budgets.floor_ratio, True),
    ]
    verdicts = []
    for name, value, limit, is_ratio in lines:
        if limit is None or value is None:
            continue
        shown = (lambda v: f"{v:.3f}x") if is_ratio else format_size
        verdicts.append(Verdict(name, shown(value), shown(limit), value <= limit))
    return verdicts
