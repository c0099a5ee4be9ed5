"""`harness doctor` run for real in temporary folders: real git, files, engine sockets."""

from __future__ import annotations

import json
import subprocess

import pytest

from harness.cli import main

SECRET = "-----BEGIN PRIVATE KEY-----\nMIIEdoctorTestNotARealKey\n-----END PRIVATE KEY-----\n"


@pytest.fixture(name="runner_dir")
def runner_folder(tmp_path, monkeypatch):
    """An empty working folder with no sheet, store or Docker settings inherited."""
    for name in ("HARNESS_SHEET_KEY", "HARNESS_SHEET_CREDENTIALS",
                 "GOOGLE_APPLICATION_CREDENTIALS", "DOCKER_HOST", "CUDA_VISIBLE_DEVICES"):
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.setenv("HARNESS_STORE", str(folder / ".harness" / "results.db"))
    return folder


def git_repository(folder) -> None:
    """Make `folder` a real git repository with one commit."""
    for command in (["init", "-q"], ["-c", "user.name=t", "-c", "user.email=t@example.org",
                                     "commit", "-q", "--allow-empty", "-m", "first"]):
        subprocess.run(["git", *command], cwd=folder, check=True)


def doctor(capsys, *args: str) -> tuple[int, dict[str, str]]:
    """Exit code and {check name: its line}."""
    code = main(["doctor", *args])
    lines = capsys.readouterr().out.splitlines()
    return code, {line[5:].split(":")[0]: line for line in lines if line[:4].strip() in
                  ("ok", "warn", "FAIL")}


def test_a_cpu_runner_in_a_repository_is_ready(runner_dir, capsys):
    git_repository(runner_dir)
    code, lines = doctor(capsys)
    assert code == 0
    assert lines["git"].startswith("ok   git: ") and str(runner_dir) in lines["git"]
    assert lines["store"].startswith("ok   store: ") and "first run creates it" in lines["store"]
    assert lines["torch"].startswith("ok   torch: torch ")
    assert lines["sheet"].startswith("ok   sheet: no spreadsheet configured")


def test_outside_a_repository_git_fails_with_how_to_fix_it(runner_dir, capsys):
    code, lines = doctor(capsys)
    assert code == 1
    assert lines["git"] == (f"FAIL git: {runner_dir} is not inside a git repository -> "
                            "run harness from a clone of the repository under test")


def test_gpu_runners_require_cuda(runner_dir, capsys):
    torch = pytest.importorskip("torch")
    git_repository(runner_dir)
    code, lines = doctor(capsys, "--gpu")
    if torch.cuda.is_available():
        assert code == 0 and lines["cuda"].startswith("ok   cuda: ")
    else:
        assert code == 1 and lines["cuda"].startswith("FAIL cuda: no CUDA device visible")


def test_an_unreachable_docker_engine_fails_when_required(runner_dir, capsys, monkeypatch):
    git_repository(runner_dir)
    monkeypatch.setenv("DOCKER_HOST", f"unix://{runner_dir}/no-engine.sock")
    code, lines = doctor(capsys, "--docker")
    assert code == 1
    assert lines["docker"].startswith("FAIL docker: ")
    assert "start the engine" in lines["docker"]
    code, lines = doctor(capsys)  # not required: only a warning
    assert code == 0 and lines["docker"].startswith("warn docker: ")


def test_an_uncreatable_store_fails_and_a_store_password_is_never_shown(runner_dir, capsys,
                                                                        monkeypatch):
    git_repository(runner_dir)
    (runner_dir / "a-file").write_text("")
    monkeypatch.setenv("HARNESS_STORE", str(runner_dir / "a-file" / "results.db"))
    code, lines = doctor(capsys)
    assert code == 1 and lines["store"].startswith("FAIL store: cannot create ")
    monkeypatch.setenv("HARNESS_STORE", "postgresql+psycopg://ci:hunter2secret@127.0.0.1:1/db")
    code, lines = doctor(capsys)
    assert code == 1 and lines["store"].startswith("FAIL store: ")
    assert "hunter2secret" not in "\n".join(lines.values())


def test_sheet_credentials_are_checked_without_showing_them(runner_dir, capsys, monkeypatch):
    git_repository(runner_dir)
    key_file = runner_dir / "sa.json"
    monkeypatch.setenv("HARNESS_SHEET_KEY", "sheet-123")
    monkeypatch.setenv("HARNESS_SHEET_CREDENTIALS", str(key_file))

    code, lines = doctor(capsys)
    assert code == 1 and "cannot read" in lines["sheet credentials"]

    key_file.write_text("{" + SECRET)
    code, lines = doctor(capsys)
    assert code == 1 and "is not a JSON key file" in lines["sheet credentials"]

    key_file.write_text(json.dumps({"type": "service_account", "private_key": SECRET,
                                    "client_email": "nightly@proj.iam.gserviceaccount.com",
                                    "token_uri": "https://oauth2.googleapis.com/token"}))
    key_file.chmod(0o644)
    code, lines = doctor(capsys)
    assert lines["sheet credentials"].startswith("ok   sheet credentials: ")
    assert "nightly@proj.iam.gserviceaccount.com" in lines["sheet credentials"]
    assert lines["sheet credentials mode"].startswith("warn ") and "chmod 600" in \
        lines["sheet credentials mode"]
    assert "MIIEdoctorTestNotARealKey" not in "\n".join(lines.values())
    key_file.chmod(0o600)
    _, lines = doctor(capsys)
    assert "sheet credentials mode" not in lines
    # The publisher's own check ran (the `sheet` extra is installed here) and refused the fake
    # key before any request: not the "not checked" line of a harness without a publisher.
    assert lines["sheet access"].startswith("FAIL sheet access: ")
    assert "holds a private key that cannot be loaded" in lines["sheet access"]


def test_sheet_access_is_checked_by_the_real_publisher(runner_dir, capsys, monkeypatch):
    pytest.importorskip("gspread", reason="the optional `sheet` extra is not installed")
    from harness.testing.sheets_server import SheetsServer  # pylint: disable=import-outside-toplevel

    git_repository(runner_dir)
    with SheetsServer() as server:
        key = server.create_spreadsheet()
        credentials = server.service_account_file(runner_dir / "sa.json")
        monkeypatch.setenv("HARNESS_SHEET_CREDENTIALS", str(credentials))
        monkeypatch.setenv("HARNESS_SHEETS_ENDPOINT", server.url)
        monkeypatch.setenv("HARNESS_SHEET_KEY", key)
        _, lines = doctor(capsys)
        assert lines["sheet access"].startswith(f"ok   sheet access: spreadsheet {key} opens")
        monkeypatch.setenv("HARNESS_SHEET_KEY", "no-such-sheet")
        code, lines = doctor(capsys)
    assert code == 1 and lines["sheet access"].startswith("FAIL sheet access: spreadsheet "
                                                          "no-such-sheet does not exist")
