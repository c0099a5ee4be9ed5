"""Repro recipes: the commands and commits a researcher needs to see a change for themselves."""

from __future__ import annotations

import shlex

from harness.records import Verdict, VerdictKind


def _select(test: str) -> str:
    """Pytest arguments selecting `test`: its node id, or a -k expression for a bare name."""
    return shlex.quote(test) if "::" in test or "/" in test else f"-k {shlex.quote(test)}"


def repro_recipe(verdict: Verdict) -> str:
    """Commands to reproduce `verdict`, one per line, with the commits and image involved."""
    select = _select(verdict.test)
    good, bad = verdict.last_good_commit, verdict.commit
    lines = [f"# {verdict.kind.value}: {verdict.test} {verdict.metric}"]
    if verdict.kind is VerdictKind.ENVIRONMENT_CHANGE:
        lines.append(f"# environment changed (new fingerprint {verdict.env_fingerprint}); "
                     "same commit range, different machine or software stack")
    lines.append(f"git checkout {bad} && nox -s integration -- {select}")
    if good:
        lines.append(f"git checkout {good} && nox -s integration -- {select}   # baseline")
        if verdict.kind in (VerdictKind.REGRESSION, VerdictKind.IMPROVEMENT):
            lines.append(
                f"harness bisect --test {shlex.quote(verdict.test)} --metric "
                f"{shlex.quote(verdict.metric)} --good {good} --bad {bad}"
            )
    if verdict.commit_range:
        lines.append(f"git log --oneline {verdict.commit_range}   # suspect commits")
    if verdict.image_digest:
        lines.append(f"# image: {verdict.image_digest}")
    return "\n".join(lines)
