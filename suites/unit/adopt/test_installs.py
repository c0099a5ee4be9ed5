"""uv installs from where pip would: pip's settings, read with pip itself, as UV_* variables."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

from harness.adopt.installs import pip_settings, uv_environment, uv_settings

PIP_CONF = """[global]
index-url = https://mirror.example/simple
extra-index-url = file:///srv/pypi/simple https://extra.example/simple
find-links = /srv/wheels /srv/more-wheels
constraint = /srv/constraints.txt
cert = /srv/ca.pem
timeout = 45
"""


def _pip_env(tmp_path: Path, monkeypatch) -> Path:
    """pip reads only a configuration file of ours (no PIP_* from this machine)."""
    if importlib.util.find_spec("pip") is None:
        # The Docker images remove pip once their environment is built.
        assert not pip_settings()
        pytest.skip("no pip in this environment: pip's settings are none")
    for name in list(os.environ):
        if name.startswith(("PIP_", "UV_")):
            monkeypatch.delenv(name)
    conf = tmp_path / "pip.conf"
    conf.write_text(PIP_CONF, encoding="utf-8")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    return conf


def test_pip_settings_are_read_with_pip_from_its_files_and_variables(tmp_path, monkeypatch):
    _pip_env(tmp_path, monkeypatch)
    monkeypatch.setenv("PIP_DEFAULT_TIMEOUT", "180")
    settings = pip_settings()
    assert settings["index-url"] == "https://mirror.example/simple"
    assert settings["find-links"] == "/srv/wheels /srv/more-wheels"
    assert settings["default-timeout"] == "180"
    assert not pip_settings(str(tmp_path / "no-python"))


def test_uv_gets_the_same_sources():
    uv = uv_settings({"index-url": "https://mirror.example/simple",
                      "extra-index-url": "file:///srv/pypi/simple https://extra.example/simple",
                      "find-links": "/srv/wheels /srv/more-wheels",
                      "constraint": "/srv/constraints.txt", "cert": "/srv/ca.pem",
                      "default-timeout": "180.0", "no-index": "true", "verbose": "1"})
    assert uv == {"UV_INDEX_URL": "https://mirror.example/simple",
                  "UV_EXTRA_INDEX_URL": "file:///srv/pypi/simple https://extra.example/simple",
                  "UV_FIND_LINKS": "/srv/wheels,/srv/more-wheels",
                  "UV_CONSTRAINT": "/srv/constraints.txt", "SSL_CERT_FILE": "/srv/ca.pem",
                  "UV_HTTP_TIMEOUT": "180", "UV_NO_INDEX": "1",
                  "UV_INDEX_STRATEGY": "unsafe-best-match"}
    assert not uv_settings({})


def test_variables_already_set_win(tmp_path, monkeypatch):
    _pip_env(tmp_path, monkeypatch)
    environ = {"UV_INDEX_URL": "https://ours.example/simple", "SSL_CERT_FILE": "/ours.pem"}
    uv = uv_environment(environ, sys.executable)
    assert "UV_INDEX_URL" not in uv and "SSL_CERT_FILE" not in uv
    assert uv["UV_FIND_LINKS"] == "/srv/wheels,/srv/more-wheels"
    assert uv["UV_HTTP_TIMEOUT"] == "45"
