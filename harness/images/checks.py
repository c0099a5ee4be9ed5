"""After a build: inspect both images, judge the budgets, scan for secrets, smoke-test."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.images.budgets import Measured, Verdict, check
from harness.images.config import ImagesConfig
from harness.images.pipeline import Built, BuildOptions, read_ca
from harness.images.report import ImageReport, inspect
from harness.images.secrets import SecretRules
from harness.images.smoke import (BASE_CHECKS, CUDA_CHECKS, DEBUG_CHECKS, UNIT_SUITE,
                                  SmokeResult, smoke, smoke_gpu)


@dataclass(frozen=True)
class Floor:
    """The smallest the base can be: the OS layer plus the installed Python environment."""

    os_layer: int
    python_env: int

    @property
    def total(self) -> int:
        """OS layer + Python environment, bytes."""
        return self.os_layer + self.python_env


@dataclass(frozen=True)
class Checked:
    """Everything judged after one build."""

    reports: dict[str, ImageReport]
    floor: Floor
    verdicts: list[Verdict]
    smoke: list[SmokeResult]

    @property
    def findings(self) -> int:
        """Secret findings across all images."""
        return sum(len(report.findings) for report in self.reports.values())

    @property
    def ok(self) -> bool:
        """All budgets hold, every smoke test passed, and no secret was found."""
        return (all(v.ok for v in self.verdicts) and all(s.ok for s in self.smoke)
                and not self.findings)


def floor_of(client: Any, config: ImagesConfig, built: Built) -> Floor:
    """OS layer size and Python environment size (the code-free runtime stage minus the OS)."""
    os_size = int(client.images.get(config.os_base).attrs["Size"])
    runtime = int(client.images.get(built.runtime.image_id).attrs["Size"])
    return Floor(os_size, runtime - os_size)


def smoke_checks(root: Path, flavour: str = "cpu") -> tuple[tuple[str, list[str]], ...]:
    """Base checks (and the CUDA ones), plus the unit suite when the project has one."""
    unit = (UNIT_SUITE,) if (root / "suites" / "unit").is_dir() else ()
    return BASE_CHECKS + (CUDA_CHECKS if flavour == "cuda" else ()) + unit


def check_images(client: Any, root: Path, config: ImagesConfig, built: Built,
                 options: BuildOptions = BuildOptions()) -> Checked:
    """Inspect, budget, scan and smoke-test the images of one build."""
    ca = read_ca(options.extra_ca_cert)
    rules = SecretRules(config.allowed_certificates, (ca.encode(),) if ca else ())
    reports = {"base": inspect(client, built.refs["base"], config.os_base, rules)}
    if built.debug is not None:
        reports["debug"] = inspect(client, built.refs["debug"], built.refs["base"], rules,
                                   os_ref=config.os_base)
    floor = floor_of(client, config, built)
    measured = Measured(
        base=reports["base"].size,
        debug=reports["debug"].size if "debug" in reports else None,
        wasted=max(report.wasted_bytes for report in reports.values()),
        floor=floor.total,
    )
    verdicts = check(measured, config.budgets_for(options.flavour))
    checks = smoke_checks(root, options.flavour)
    results = smoke(client, built.refs["base"], checks)
    if options.flavour == "cuda":
        results += smoke_gpu(client, built.refs["base"])
    if "debug" in reports:
        results += smoke(client, built.refs["debug"], checks + DEBUG_CHECKS)
    return Checked(reports, floor, verdicts, results)
