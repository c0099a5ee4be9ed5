"""Sessions: `nox -s lint unit` on every commit, `nox -s integration` every night.

torch is installed first, pinned to the CPU build by default; GPU runners override it:
    HARNESS_TORCH="torch==2.13.0" HARNESS_TORCH_INDEX_URL=https://download.pytorch.org/whl/cu126
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).parent
sys.path.insert(0, str(ROOT))
# pylint: disable=wrong-import-position
from harness.adopt.installs import VENV_BACKEND, uv_environment  # noqa: E402
from harness.settings import resolve  # noqa: E402
# pylint: enable=wrong-import-position

SETTINGS = resolve()
TORCH_SPEC = os.environ.get("HARNESS_TORCH", "torch==2.13.0")
TORCH_INDEX_URL = os.environ.get("HARNESS_TORCH_INDEX_URL", "")
LINTED = ["harness", "backbone", "suites", "benchmarks", "noxfile.py"]
FASHION_MNIST_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
SYSTEM_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")

nox.options.sessions = ["lint", "unit"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True
# uv when nox finds it (`pip install 'nox[uv]'`): every session's torch is a hard link into
# uv's cache, stored once; else virtualenv and pip, a copy per session.
nox.options.default_venv_backend = VENV_BACKEND


def pip_install(session: nox.Session, *args: str) -> None:
    """`session.install`, from where pip would install even when uv does the installing."""
    session.install(*args, env=uv_environment() if session.venv_backend == "uv" else {})


def install(session: nox.Session, extras: str, torch: bool = True, tools: tuple[str, ...] = ()
            ) -> None:
    """Install pinned torch (unless `torch` is false), then the project with `extras` and
    `tools` (e.g. pip, which a uv-made venv lacks); skipped when already done.

    A stamp in the virtualenv remembers what was installed, so a reused environment starts
    in well under a second instead of re-resolving every dependency.
    """
    stamp_text = "\n".join(
        [TORCH_SPEC if torch else "", TORCH_INDEX_URL, extras, *tools,
         (ROOT / "pyproject.toml").read_text()]
    )
    digest = hashlib.sha256(stamp_text.encode()).hexdigest()
    stamp = Path(session.virtualenv.location) / ".harness-installed"
    if stamp.is_file() and stamp.read_text() == digest:
        session.log("dependencies unchanged since the last install: skipping pip")
        return
    torch_args = TORCH_SPEC.split()
    if TORCH_INDEX_URL:
        torch_args += ["--index-url", TORCH_INDEX_URL]
    if torch:
        pip_install(session, *torch_args)
    pip_install(session, "-e", f".[{extras}]", *tools)
    stamp.write_text(digest)


def _git(*args: str) -> list[str]:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                          check=True, timeout=30).stdout.split()


def changed_python_files() -> tuple[str, list[str]] | None:
    """(base, the linted Python files that differ from it): committed since the merge-base
    with the upstream branch (else since HEAD's parent), staged, unstaged or untracked.
    None when git cannot tell (no repository, a single commit)."""
    try:
        base = ""
        for ref in ("@{upstream}", "origin/HEAD"):
            try:
                base = _git("merge-base", "HEAD", ref)[0]
                break
            except (subprocess.CalledProcessError, IndexError):
                continue
        base = base or _git("rev-parse", "HEAD~1")[0]
        names = {*_git("diff", "--name-only", "--diff-filter=d", base),
                 *_git("ls-files", "--others", "--exclude-standard")}
    except (OSError, subprocess.SubprocessError, IndexError):
        return None
    linted = tuple(LINTED)
    return base[:10], sorted(name for name in names if name.endswith(".py")
                             and name.startswith(linted) and (ROOT / name).is_file())


def pylint_targets(session: nox.Session) -> list[str]:
    """Every linted path in CI (`CI` set), with HARNESS_FULL=1 or when git cannot tell what
    changed; else only the changed files (pylint's checks are per file; mypy, run whole,
    keeps the cross-module ones), which keeps a warm per-commit `nox` under a minute."""
    if everything():
        return list(LINTED)
    changed = changed_python_files()
    if changed is None:
        return list(LINTED)
    base, files = changed
    session.log(f"pylint: {len(files)} Python file(s) changed since {base} "
                "(HARNESS_FULL=1 or CI=true lints everything)")
    return files


@nox.session
def lint(session: nox.Session) -> None:
    """pylint on our own code (10.00 expected; only what changed, outside CI), mypy on
    harness/, actionlint on the GitHub workflows, hadolint on the Dockerfiles."""
    install(session, "ml,test,lint,workflows,report,detect,sheet,images")
    targets = pylint_targets(session)
    if targets:
        session.run("pylint", "--jobs", "2", *targets, *session.posargs)
    session.run("mypy")
    session.run("actionlint", "-no-color")
    session.run("harness", "images", "lint")


def everything() -> bool:
    """CI (`CI` set) and HARNESS_FULL=1 check everything; a developer's per-commit `nox`
    checks what changed and leaves out the tests marked `slow`."""
    return bool(os.environ.get("CI")) or os.environ.get("HARNESS_FULL") == "1"


@nox.session
def unit(session: nox.Session) -> None:
    """Fast CPU unit tests of the harness and of backbone's contract; outside CI the tests
    marked `slow` (subprocess nightlies, LibreOffice, Chromium, racing writers) are left out.
    `images`: the docker SDK, which `harness doctor --docker` uses where a fresh machine has
    no docker CLI.
    pip: the tests of harness.adopt.installs read pip's settings with it (a uv-made venv has
    none)."""
    install(session, "ml,test,report,sheet,lint,detect,images", tools=("pip",))
    # per commit: the fast tests, spread over the cores (pytest-xdist; 33 -> 21 s on 2 cores)
    selection = [] if everything() else ["-m", "not slow", "-n", "auto"]
    if selection:
        session.log("leaving out the tests marked slow (HARNESS_FULL=1 or CI=true runs them)")
    session.run("pytest", "suites/unit", *selection, *session.posargs)


@nox.session
def services(session: nox.Session) -> None:
    """Store tests on SQLite and on PostgreSQL (start one with `eval "$(bash .ci/postgres.sh)"`),
    and the regression sheet's fault matrix and cassette replay against the local Sheets server;
    HARNESS_REQUIRE_POSTGRES=1 makes a missing server fail instead of skip."""
    install(session, "ml,test,postgres,sheet")
    session.run("pytest", "suites/services", *session.posargs)


@nox.session
def integration(session: nox.Session) -> None:
    """The nightly job through `harness nightly`: train and evaluate every architecture on
    Fashion-MNIST and record; show the run; check against history (verdicts stored, reports
    in .harness/report/, Slack on transitions); publish every unpublished run and the
    verdicts' current state (Google Sheets with credentials, else the .xlsx workbook).

    What was measured is shown, checked and published even when a test failed or a newly
    confirmed regression was found; the session then fails at the end.
    """
    install(session, "ml,test,report,sheet,workbook")
    env = {"FASHION_MNIST_DIR": str(fashion_mnist_dir(session))}
    # One xdist worker per visible GPU (none for a single device); HARNESS_FAKE_GPUS=N fakes N.
    shard = (session.run("python", "-m", "harness.measure.gpus", silent=True) or "").split()
    session.run("harness", "nightly", "--", "suites/integration", "-v", "--durations=10",
                *shard, *session.posargs, env=env)


@nox.session
def bisection(session: nox.Session) -> None:
    """`harness bisect` end to end on throwaway git repositories (slow: runs pytest per step)."""
    install(session, "ml,test")
    session.run("pytest", "suites/bisection", *session.posargs)


@nox.session
def adoption(session: nox.Session) -> None:
    """A foreign PyTorch project adopts the harness from its built wheel: a fresh venv,
    `harness init`, the per-commit session and three nightlies, actionlint (a few minutes)."""
    install(session, "test,workflows", tools=("pip",))
    session.run("pytest", "suites/adoption", "-v", "-p", "no:cacheprovider", *session.posargs)


@nox.session
def quickstart(session: nox.Session) -> None:
    """The README's Quick start, extracted from README.md and run verbatim by a normal user in
    a fresh container of the local Debian base image (a Docker engine:
    images/engine/start-engine.sh; HARNESS_REQUIRE_DOCKER=1 makes a missing one fail)."""
    install(session, "test", torch=False, tools=("pip",))
    session.run("pytest", "suites/quickstart", "-v", "-p", "no:cacheprovider", *session.posargs)


@nox.session
def mutation(session: nox.Session) -> None:
    """Mutation score of the core, module by module against its own unit tests (not per commit:
    minutes; `nox -s mutation -- harness/publish/retry.py` picks modules)."""
    install(session, "ml,test,report,sheet,detect")
    pip_install(session, "mutmut==3.8.1")
    session.run("python", "suites/mutation/run.py", *session.posargs)


@nox.session
def images(session: nox.Session) -> None:
    """Build the base and debug images, print their tables, check budgets, secrets and smoke
    tests, then run the image tests (a Docker engine: images/engine/start-engine.sh)."""
    install(session, "ml,test,images", tools=("pip",))
    session.run("harness", "images", "build", *session.posargs)
    session.run("pytest", "suites/images", "-p", "no:cacheprovider")


def fashion_mnist_dir(session: nox.Session) -> Path:
    """Where Fashion-MNIST is: $FASHION_MNIST_DIR, Debian's package, or fetched into a cache.

    Without root, Debian's `dataset-fashion-mnist` package is downloaded with `apt-get
    download` and unpacked with `dpkg-deb -x` into .harness/data (no installation needed).
    """
    for candidate in (os.environ.get("FASHION_MNIST_DIR"), SYSTEM_FASHION_MNIST):
        if candidate and all((Path(candidate) / name).is_file() for name in FASHION_MNIST_FILES):
            return Path(candidate)
    cache = ROOT / ".harness" / "data"
    unpacked = cache / "usr/share/datasets/fashion-mnist"
    if all((unpacked / name).is_file() for name in FASHION_MNIST_FILES):
        return unpacked
    if not (shutil.which("apt-get") and shutil.which("dpkg-deb")):
        session.error(
            "Fashion-MNIST not found. Install Debian's package (apt-get install "
            "dataset-fashion-mnist) or set FASHION_MNIST_DIR to a folder with the four "
            "*-ubyte.gz files."
        )
    session.log("Fashion-MNIST not installed: fetching Debian's dataset-fashion-mnist (31 MB)")
    cache.mkdir(parents=True, exist_ok=True)
    download = subprocess.run(
        ["apt-get", "download", "dataset-fashion-mnist"],
        cwd=cache,
        capture_output=True,
        text=True,
        check=False,
    )
    packages = sorted(cache.glob("dataset-fashion-mnist_*.deb"))
    if download.returncode != 0 or not packages:
        session.error(
            "could not download dataset-fashion-mnist "
            f"({download.stderr.strip() or 'no package file'}). Install it with "
            "`apt-get install dataset-fashion-mnist` or set FASHION_MNIST_DIR."
        )
    subprocess.run(["dpkg-deb", "-x", str(packages[-1]), str(cache)], check=True)
    return unpacked
