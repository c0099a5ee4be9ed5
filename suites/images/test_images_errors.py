"""Clear errors: no engine, a failing build step; secrets found in a leaky image."""

from __future__ import annotations

import subprocess

import pytest

from harness.images.build import BuildRequest, build
from harness.images.engine import connect
from harness.images.errors import BuildFailed, EngineUnavailable
from harness.images.report import inspect
from harness.images.secrets import SecretRules


def test_unreachable_engine_is_a_clear_error(monkeypatch, tmp_path):
    """Unreachable engine is a clear error."""
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    with pytest.raises(EngineUnavailable, match="cannot reach the Docker engine.*start-engine"):
        connect()


def test_failing_step_is_named_with_its_output(client, config, tmp_path):
    """Failing step is named with its output."""
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(f"FROM {config.os_base}\nRUN echo fine\n"
                          "RUN echo first-line && echo the-reason-it-broke >&2 && exit 3\n"
                          "RUN echo never\n", "utf-8")
    with pytest.raises(BuildFailed) as failure:
        build(client, BuildRequest("broken", dockerfile, tmp_path, tag="harness-test:broken"))
    assert "exit 3" in failure.value.step
    assert "the-reason-it-broke" in "\n".join(failure.value.output)
    assert "returned a non-zero code: 3" in failure.value.error
    assert "the-reason-it-broke" in str(failure.value)


def test_secrets_in_a_leaky_image_are_found(client, config, tmp_path):
    """A real image that leaks a key, a token, .git and a CA: every one is reported."""
    context = tmp_path / "leaky"
    (context / "repo" / ".git").mkdir(parents=True)
    (context / "repo" / ".git" / "HEAD").write_text("ref: refs/heads/main\n", "utf-8")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=company-ca", "-keyout", str(context / "key.pem"),
                    "-out", str(context / "ca.pem")], check=True, capture_output=True)
    # Built at run time so that this file, copied into the images, holds no webhook URL.
    webhook = "https://hooks.slack" + ".com/services/T01ABCDEF2/B01ABCDEF3/" + "aB3" * 8
    (context / "env").write_text(f"SLACK_WEBHOOK={webhook}\n", "utf-8")
    (context / "Dockerfile").write_text(
        f"FROM {config.os_base}\nCOPY repo /src\nCOPY key.pem /root/.ssh/id_rsa\n"
        "COPY ca.pem /usr/local/share/ca-certificates/company.crt\nCOPY env /app/.env\n", "utf-8")
    result = build(client, BuildRequest("leaky", context / "Dockerfile", context,
                                        tag="harness-test:leaky"))
    try:
        ca = (context / "ca.pem").read_bytes()
        report = inspect(client, result.image_id, config.os_base,
                         SecretRules(config.allowed_certificates, (ca,)))
        kinds = {(f.path, f.kind) for f in report.findings}
        assert kinds == {
            ("/src/.git", "git metadata (.git)"),
            ("/root/.ssh/id_rsa", "private key"),
            ("/usr/local/share/ca-certificates/company.crt", "build-only CA certificate"),
            ("/usr/local/share/ca-certificates/company.crt", "certificate added by the build"),
            ("/app/.env", "Slack webhook URL"),
        }
        assert all(f.layer >= 1 for f in report.findings)
    finally:
        client.images.remove(result.image_id, force=True)
