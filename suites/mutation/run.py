"""Mutation testing of the harness core, module by module, each against its own unit tests.

`nox -s mutation` runs this (arguments after `--` pass through):

    python suites/mutation/run.py [MODULE.py ...] [--fail-under 90] [--workdir DIR] [--reuse]

For each module, mutmut (version pinned in noxfile.py) mutates that file only and runs only the
tests listed for it in MODULES, in a scratch copy of the repository (mutmut needs its own
`[tool.mutmut]` table, and a per-module one keeps the test selection local). The table printed
at the end counts killed (tests failed or timed out), survived (tests passed, or no test ran the
mutated code) and accepted equivalent mutants (EQUIVALENTS: one mutant name and a reason per
line), which are left out of the score. Every surviving mutant not in that list is printed as a
diff. Exits 1 when a module scores below --fail-under.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EQUIVALENTS = Path(__file__).with_name("equivalent.txt")

# Each module's own in-process unit tests. Subprocess-based plugin tests load the installed code
# and can never kill a mutant, so they are left out where they would only cost time.
MODULES: dict[str, list[str]] = {
    "harness/publish/retry.py": ["suites/unit/publish/test_retry.py"],
    "harness/store/store.py": [
        "suites/unit/harness/test_store.py",
        "suites/unit/harness/test_store_mutation_gaps.py",
        "suites/unit/harness/test_store_timeouts_mutation_gaps.py",
        "suites/unit/harness/test_store_wal_switch.py",
        "suites/unit/detect/test_store_history.py",
    ],
    "harness/plugin/recorder.py": [
        "suites/unit/harness/test_recorder.py",
        "suites/unit/harness/test_recorder_mutation_gaps.py",
    ],
    "harness/publish/layout.py": [
        "suites/unit/publish/test_layout.py",
        "suites/unit/publish/test_layout_mutation_gaps.py",
        "suites/unit/publish/test_layout_summary_mutation_gaps.py",
    ],
    "harness/detect/noise.py": [
        "suites/unit/detect/test_detector.py",
        "suites/unit/detect/test_detect_mutation_gaps.py",
        "suites/unit/detect/test_noise_mutation_gaps.py",
    ],
    "harness/detect/changepoints.py": [
        "suites/unit/detect/test_detector.py",
        "suites/unit/detect/test_detect_mutation_gaps.py",
        "suites/unit/detect/test_detect_quality.py",
        "suites/unit/detect/test_changepoints_mutation_gaps.py",
        "suites/unit/detect/test_seeded_intervals.py",
    ],
    "harness/detect/classify.py": [
        "suites/unit/detect/test_detector.py",
        # PELT's own test (2 s: ruptures) would run for every surviving mutant of this module
        "--deselect=suites/unit/detect/test_detector.py::"
        "test_pelt_engine_agrees_when_ruptures_is_installed",
        "suites/unit/detect/test_detect_mutation_gaps.py",
        "suites/unit/detect/test_detect_quality.py",
        "suites/unit/detect/test_modes.py",
        "suites/unit/detect/test_smooth_curves.py",
        "suites/unit/detect/test_classify_mutation_gaps.py",
        "suites/unit/detect/test_measured_noise.py",
        "suites/unit/detect/test_seeded_intervals.py",
    ],
    "harness/detect/modes.py": [
        "suites/unit/detect/test_modes.py",
        "suites/unit/detect/test_modes_mutation_gaps.py",
        "suites/unit/detect/test_detect_quality.py",
    ],
    "harness/detect/mcnemar.py": ["suites/unit/detect/test_mcnemar_mutation_gaps.py"],
    "harness/detect/lifecycle.py": ["suites/unit/detect/test_lifecycle_mutation_gaps.py"],
    "harness/settings.py": [
        "suites/unit/harness/test_settings.py",
        "suites/unit/harness/test_settings_mutation_gaps.py",
    ],
    "harness/records.py": [
        "suites/unit/harness/test_records.py",
        "suites/unit/harness/test_records_mutation_gaps.py",
    ],
    "harness/store/verdict_rows.py": [
        "suites/unit/harness/test_verdict_rows_mutation_gaps.py",
        "suites/unit/harness/test_store_mutation_gaps.py",
    ],
}

KILLED = {"killed", "timeout", "caught by type check"}


@dataclass
class ModuleResult:
    """What mutmut found for one module."""

    module: str
    status_by_mutant: dict[str, str] = field(default_factory=dict)
    equivalent: set[str] = field(default_factory=set)

    @property
    def killed(self) -> int:
        """Mutants that made a selected test fail (or time out)."""
        return sum(status in KILLED for status in self.status_by_mutant.values())

    @property
    def survivors(self) -> list[str]:
        """Mutants that no selected test noticed, equivalents left out."""
        return sorted(
            name for name, status in self.status_by_mutant.items()
            if status not in KILLED and name not in self.equivalent
        )

    @property
    def accepted(self) -> int:
        """Surviving mutants that the equivalents list accepts."""
        return sum(
            name in self.equivalent and status not in KILLED
            for name, status in self.status_by_mutant.items()
        )

    @property
    def score(self) -> float:
        """Killed share of the mutants that can be killed, in %."""
        countable = len(self.status_by_mutant) - self.accepted
        return 100.0 * self.killed / countable if countable else 100.0


def read_equivalents(path: Path = EQUIVALENTS) -> dict[str, str]:
    """Accepted equivalent mutants: name -> reason (every line needs a reason)."""
    accepted = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        name, _, reason = line.partition(" ")
        if not reason.strip():
            raise SystemExit(f"{path.name}:{number}: {name} has no reason")
        accepted[name] = reason.strip()
    return accepted


def prepare(module: str, tests: list[str], workdir: Path) -> Path:
    """A fresh scratch copy of harness/, suites/, README.md and pyproject.toml configured for
    `module`."""
    scratch = workdir / module.replace("/", "_").removesuffix(".py")
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("harness", "suites"):
        shutil.copytree(ROOT / folder, scratch / folder, ignore=ignore)
    shutil.copy2(ROOT / "README.md", scratch / "README.md")  # the settings tests read it
    config = "\n".join([
        "",
        "[tool.mutmut]",
        'source_paths = ["harness"]',
        f"only_mutate = {json.dumps([module])}",
        f"pytest_add_cli_args_test_selection = {json.dumps(tests)}",
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q"]',
        'also_copy = ["suites", "README.md"]',
        "use_git_change_detection = false",
        "",
    ])
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    (scratch / "pyproject.toml").write_text(pyproject + config, encoding="utf-8")
    return scratch


def mutate(module: str, tests: list[str], workdir: Path, reuse: bool = False) -> ModuleResult:
    """Run mutmut on `module` with two workers (the machine's two cores; or, with `reuse`,
    read the last run's results); the statuses of its mutants."""
    # pylint: disable-next=import-outside-toplevel,import-error  # only the mutation session has it
    from mutmut.stats import status_by_exit_code

    scratch = workdir / module.replace("/", "_").removesuffix(".py")
    meta = scratch / "mutants" / f"{module}.meta"
    if reuse and not meta.is_file():
        raise SystemExit(f"--reuse: no earlier results for {module} in {workdir}")
    if not reuse:
        scratch = prepare(module, tests, workdir)
        log = scratch / "mutmut.log"
        with log.open("w", encoding="utf-8") as out:
            done = subprocess.run(
                [sys.executable, "-m", "mutmut", "run", "--max-children", "2"],
                cwd=scratch, stdout=out, stderr=subprocess.STDOUT, check=False,
                env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
            )
        if done.returncode != 0 or not meta.is_file():
            print(log.read_text(encoding="utf-8")[-4000:])
            raise SystemExit(f"mutmut failed on {module} (exit {done.returncode}); log: {log}")
    exit_codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
    return ModuleResult(module, {name: status_by_exit_code[code]
                                 for name, code in exit_codes.items()})


def mutant_sources(module: str, workdir: Path) -> dict[str, str]:
    """Every function of mutmut's mutated copy of `module` (originals and mutants) by name."""
    path = workdir / module.replace("/", "_").removesuffix(".py") / "mutants" / module
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    return {node.name: "\n".join(lines[node.lineno - 1:node.end_lineno])
            for node in ast.walk(ast.parse(text))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


def diff_of(mutant: str, sources: dict[str, str]) -> str:
    """The changed lines of one mutant against its original function (as `mutmut show`
    gives them, without starting mutmut once per mutant)."""
    name = mutant.rsplit(".", 1)[-1]
    original = sources.get(name.rsplit("__mutmut_", 1)[0] + "__mutmut_orig")
    if original is None or name not in sources:
        return "(source not found)"
    changed = difflib.unified_diff(original.splitlines()[1:], sources[name].splitlines()[1:],
                                   lineterm="", n=0)
    return "\n".join(line for line in changed
                     if line[:1] in "-+" and not line.startswith(("---", "+++")))


def table(results: list[ModuleResult]) -> str:
    """The Markdown table: module | mutants | killed | survived | equivalent | score."""
    lines = ["| module | mutants | killed | survived | equivalent | score |",
             "|---|---|---|---|---|---|"]
    for result in results:
        lines.append(
            f"| {result.module.removeprefix('harness/')} | {len(result.status_by_mutant)} "
            f"| {result.killed} | {len(result.survivors)} | {result.accepted} "
            f"| {result.score:.0f} % |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Mutate each chosen module, print survivors and the table; 1 below --fail-under."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help=f"default: {', '.join(MODULES)}")
    parser.add_argument("--fail-under", type=float, default=90.0, metavar="PERCENT")
    parser.add_argument("--workdir", type=Path,
                        default=Path(tempfile.gettempdir()) / "harness-mutation")
    parser.add_argument("--reuse", action="store_true",
                        help="report the last run's results in --workdir (after editing "
                             "the equivalents list) instead of mutating again")
    args = parser.parse_args(argv)
    unknown = [module for module in args.modules if module not in MODULES]
    if unknown:
        parser.error(f"no test selection for {', '.join(unknown)}; known: {', '.join(MODULES)}")
    equivalents = read_equivalents()
    results = []
    for module in args.modules or list(MODULES):
        doing = "results of" if args.reuse else "mutating"
        print(f"{doing} {module} against {' '.join(MODULES[module])}", flush=True)
        result = mutate(module, MODULES[module], args.workdir, args.reuse)
        result.equivalent = {name for name in result.status_by_mutant if name in equivalents}
        sources = mutant_sources(module, args.workdir) if result.survivors else {}
        for mutant in result.survivors:
            print(f"\nsurvived: {mutant}\n{diff_of(mutant, sources)}", flush=True)
        prefix = module.removesuffix(".py").replace("/", ".") + "."
        stale = sorted(name for name in equivalents if name.startswith(prefix)
                       and result.status_by_mutant.get(name) in KILLED | {None})
        for name in stale:
            print(f"\n{EQUIVALENTS.name}: {name} is killed or gone now: remove it")
        results.append(result)
    print("\n" + table(results))
    low = [result.module for result in results if result.score < args.fail_under]
    if low:
        print(f"\nbelow {args.fail_under:.0f} %: {', '.join(low)}")
    return 1 if low else 0


if __name__ == "__main__":
    sys.exit(main())
