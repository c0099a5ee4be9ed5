"""What the quick-start test hands a fresh container: the README's commands, this machine's
pip configuration (indexes, find-links, constraints, CA) as read-only mounts and environment
variables given at run time, never baked into an image, and the repository as a git bundle.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass, field

# pip settings that say where packages come from and how to reach them.
CARRIED = ("index-url", "extra-index-url", "find-links", "constraint", "cert", "trusted-host",
           "default-timeout", "timeout", "retries")
# Where the CA bundle pip uses is mounted inside the container (not its host path: Debian's
# ca-certificates package owns /etc/ssl/certs there).
CA_IN_CONTAINER = "/run/quickstart/ca.pem"
PROXY_VARIABLES = ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                   "NO_PROXY")
# Machine settings of the README's nox sessions (which torch build), passed on when set.
MACHINE_VARIABLES = ("HARNESS_TORCH", "HARNESS_TORCH_INDEX_URL")


def section(readme: str, title: str) -> str:
    """The text of a `## title` section of the README, up to the next `## ` heading."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", readme, re.S | re.M)
    assert match, f"README.md has no '## {title}' section"
    return match.group(1)


def quickstart_commands(readme: str) -> list[str]:
    """The lines of the Quick start's first bash block, verbatim (comments included)."""
    block = re.search(r"```bash\n(.*?)```", section(readme, "Quick start"), re.S)
    assert block, "the README's Quick start has no ```bash block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def quickstart_apt_commands(readme: str) -> list[str]:
    """The `apt-get install ...` commands the Quick start's prose names."""
    return re.findall(r"`(apt-get install [^`]+)`", section(readme, "Quick start"))


@dataclass
class Carried:
    """Environment variables and read-only mounts (host path: container path)."""

    env: dict[str, str] = field(default_factory=dict)
    mounts: dict[str, str] = field(default_factory=dict)

    def docker_args(self) -> list[str]:
        """`docker run` options that give the container these."""
        args: list[str] = []
        for host, inside in sorted(self.mounts.items()):
            args += ["--mount", f"type=bind,source={host},target={inside},readonly"]
        for name, value in sorted(self.env.items()):
            args += ["--env", f"{name}={value}"]
        return args


def _local_path(location: str) -> str | None:
    """The folder or file a pip location names on this machine, if it is local."""
    path = location.removeprefix("file://") if location.startswith("file://") else location
    return path if path.startswith("/") and os.path.exists(path) else None


def carry(settings: dict[str, str], environ: dict[str, str] | None = None) -> Carried:
    """What the container needs to install as this machine does, from pip's `settings`
    (harness.adopt.installs.pip_settings)."""
    environ = dict(os.environ if environ is None else environ)
    carried = Carried()
    for name, value in settings.items():
        if name not in CARRIED:
            continue
        if name == "cert":
            if os.path.isfile(value):
                carried.mounts[value] = CA_IN_CONTAINER
                for variable in ("PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"):
                    carried.env[variable] = CA_IN_CONTAINER
            continue
        for location in value.split():
            local = _local_path(location)
            if local and name.endswith("index-url"):
                # A local simple index links to its files beside it (../../files/...).
                local = os.path.dirname(local.rstrip("/")) or local
            if local:
                carried.mounts[local] = local
        carried.env[f"PIP_{name.upper().replace('-', '_')}"] = value
    for variable in (*PROXY_VARIABLES, *MACHINE_VARIABLES):
        if environ.get(variable):
            carried.env[variable] = environ[variable]
    return carried


def root_script(readme: str) -> str:
    """Runs as root: what a fresh Debian machine has (python3, git), the README's apt line,
    a normal user; then the user's part."""
    apt = [command.replace("apt-get install", "apt-get install -y -q", 1)
           for command in quickstart_apt_commands(readme)]
    assert apt, "the README's Quick start names no `apt-get install` command"
    return "\n".join([
        "set -eu",
        "export DEBIAN_FRONTEND=noninteractive",
        "apt-get update -qq",
        "apt-get install -y -q python3 git >/dev/null   # what a fresh Debian machine has",
        *(f"{command} >/dev/null   # the README's" for command in apt),
        "useradd --create-home --shell /bin/bash ada",
        "exec runuser -u ada -- bash /quickstart/user.sh",
        "",
    ])


def user_script(readme: str) -> str:
    """Runs as the normal user: a fresh clone, the README's commands verbatim (each one timed),
    then `harness show` from the activated venv and the recorded rows."""
    lines = [
        "set -euo pipefail",
        "cd ~",
        # PEP 668: the system Python refuses installs outside a venv.
        "python3 -c 'import os, sysconfig; assert os.path.isfile(os.path.join("
        "sysconfig.get_path(\"stdlib\"), \"EXTERNALLY-MANAGED\"))'",
        "git clone -q /quickstart/harness.bundle harness && cd harness",
    ]
    for command in quickstart_commands(readme):
        lines.append(f"echo {shlex.quote('==== ' + command)} \"$(date +%s)\"")
        lines.append(command)
    lines += [
        'echo "==== done" "$(date +%s)"',
        "bash -c '. .venv/bin/activate && harness show'",
        "bash -c '. .venv/bin/activate && python -c \"$0\"' '"
        "from harness.store import Store; store = Store.open(\".harness/results.db\", "
        "create=False); runs = store.runs(); measured = store.count_measurements(); "
        "print(\"recorded:\", len(runs), \"run(s),\", measured, \"measurements\"); "
        "assert runs and measured'",
        "du -sh --count-links .nox ~/.cache 2>/dev/null | sed 's/^/disk (per copy): /' || true",
        "du -sh .nox ~/.cache 2>/dev/null | sed 's/^/disk (once): /' || true",
        "",
    ]
    return "\n".join(lines)
