"""One torch install across nox sessions: uv links every session's packages from its cache.

nox sessions that use `venv_backend="uv|virtualenv"` (uv when nox finds it, `pip install
'nox[uv]'`; else virtualenv and pip) get their packages from uv's cache as hard links, so
torch's 1 GB is stored once however many sessions hold it. uv reads no pip configuration:
`uv_environment` hands it pip's (configuration files and PIP_* variables: index, extra
indexes, find-links, constraints, CA bundle, timeout), so a session installs from where pip
would have. UV_* variables already set win.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping

PIP_CONFIG_TIMEOUT_S = 60
VENV_BACKEND = "uv|virtualenv"
_CONFIG_LINE = re.compile(r"^[^.]*\.(?P<name>[a-z-]+)='(?P<value>.*)'$")


def pip_settings(python: str = sys.executable) -> dict[str, str]:
    """pip's effective settings (`pip config list`: files, then PIP_* variables); {} without
    pip."""
    try:
        done = subprocess.run([python, "-m", "pip", "config", "list"], capture_output=True,
                              text=True, timeout=PIP_CONFIG_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return {}
    settings: dict[str, str] = {}
    for line in done.stdout.splitlines():
        match = _CONFIG_LINE.match(line.strip())
        if match:
            settings[match["name"]] = match["value"]
    return settings


def uv_settings(pip: Mapping[str, str]) -> dict[str, str]:
    """The UV_* variables (and SSL_CERT_FILE) that say what pip's settings say."""
    uv: dict[str, str] = {}
    simple = {"index-url": "UV_INDEX_URL", "extra-index-url": "UV_EXTRA_INDEX_URL",
              "constraint": "UV_CONSTRAINT", "cert": "SSL_CERT_FILE",
              "trusted-host": "UV_INSECURE_HOST"}
    for name, variable in simple.items():
        if pip.get(name):
            uv[variable] = pip[name]
    if pip.get("find-links"):
        uv["UV_FIND_LINKS"] = ",".join(pip["find-links"].split())
    timeout = pip.get("default-timeout") or pip.get("timeout")
    if timeout:
        uv["UV_HTTP_TIMEOUT"] = timeout.split(".")[0]
    if pip.get("no-index", "").lower() in ("1", "true", "yes", "on"):
        uv["UV_NO_INDEX"] = "1"
    if "UV_EXTRA_INDEX_URL" in uv:
        # pip takes the best version across all indexes; uv's default stops at the first
        # index that has the package.
        uv["UV_INDEX_STRATEGY"] = "unsafe-best-match"
    return uv


def uv_environment(environ: Mapping[str, str] | None = None,
                   python: str = sys.executable) -> dict[str, str]:
    """What to add to a uv install's environment: pip's settings, where no UV_* is set."""
    environ = os.environ if environ is None else environ
    return {name: value for name, value in uv_settings(pip_settings(python)).items()
            if name not in environ}
