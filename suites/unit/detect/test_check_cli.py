"""`harness check` on CSV, pytest-benchmark JSON and store histories: output and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import main
from harness.store import Store

from .helpers import fill_store, make_series

HEADER = "run,commit,test,metric,value,higher_is_better,env\n"


def write_history(path: Path) -> Path:
    """A 10 % slowdown at run 40 and an environment change at run 60 (1 % noise)."""
    series = make_series(11, runs=70, shifts={40: 0.10}, env_changes={60: -0.2})
    rows = [f"{p.run_index},{p.commit},{series.test},step_ms,{p.value},false,{p.env}"
            for p in series.points]
    path.write_text(HEADER + "\n".join(rows) + "\n")
    return path


def test_csv_json_names_the_commit_and_labels_the_environment_change(tmp_path, capsys) -> None:
    code = main(["check", "--from-csv", str(write_history(tmp_path / "h.csv")),
                 "--format", "json"])
    found = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 1
    assert [(v["kind"], v["run"], v["commit"]) for v in found] == [
        ("regression", 40, f"{40:040x}"), ("environment_change", 60, f"{60:040x}")]
    assert {"test", "metric", "kind", "run", "commit", "change_pct"} <= set(found[0])
    assert 8 < found[0]["change_pct"] < 12


def test_clean_history_exits_zero_and_writes_the_step_summary(tmp_path, monkeypatch,
                                                               capsys) -> None:
    series = make_series(12, runs=30)
    rows = [f"{p.run_index},{p.commit},t,m,{p.value},lower,e" for p in series.points]
    (tmp_path / "h.csv").write_text(HEADER + "\n".join(rows) + "\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    assert main(["check", "--from-csv", str(tmp_path / "h.csv")]) == 0
    assert "0 regressions" in capsys.readouterr().out
    assert "No changes beyond each series' noise." in (tmp_path / "summary.md").read_text()


@pytest.mark.parametrize(("content", "message"), [
    ("", "no rows"),
    ("run,commit,test,value,higher_is_better,env\n1,a,t,1.0,true,e\n", "missing column(s) metric"),
    (HEADER + "1,a,t,m,fast,true,e\n", "value 'fast' is not a number"),
    (HEADER + "1,a,t,m,nan,true,e\n", "not a finite number"),
    (HEADER + "one,a,t,m,1.0,true,e\n", "run 'one' is not a number"),
    (HEADER + "1,a,t,m,1.0,sideways,e\n", "unknown direction 'sideways'"),
    (HEADER + "1,a,t,m,1.0,true\n", "wrong number of fields"),
    (HEADER + "1,a,t,m,1.0,true,e\n1,a,t,m,2.0,true,e\n", "duplicate value for run 1"),
])
def test_bad_csv_exits_two_with_a_clear_message(tmp_path, capsys, content, message) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    assert main(["check", "--from-csv", str(path)]) == 2
    assert message in capsys.readouterr().err


def test_excel_bom_and_spaced_header_are_accepted(tmp_path, capsys) -> None:
    path = tmp_path / "excel.csv"
    path.write_text("\ufeffrun, commit, test, metric, value, higher_is_better, env\n"
                    "1,a,t,m,1.0,Higher,e\n2,b,t,m,1.0,higher,e\n", encoding="utf-8")
    assert main(["check", "--from-csv", str(path)]) == 0
    assert "in 1 series" in capsys.readouterr().out


def test_missing_csv_file_exits_two(tmp_path, capsys) -> None:
    assert main(["check", "--from-csv", str(tmp_path / "nope.csv")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_the_installed_entry_point_reports_exit_codes(tmp_path) -> None:
    script = Path(sys.executable).with_name("harness")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "harness.cli"]
    done = subprocess.run([*command, "check", "--from-csv", str(write_history(tmp_path / "h.csv")),
                           "--format", "json"], capture_output=True, text=True, check=False,
                          env=dict(os.environ, GITHUB_STEP_SUMMARY=""))
    assert done.returncode == 1, done.stderr
    assert '"kind": "regression"' in done.stdout


def test_pytest_benchmark_json_files_are_a_history(tmp_path, capsys) -> None:
    series = make_series(13, runs=30, shifts={20: 0.5})
    paths = []
    for point in series.points:
        data = {"datetime": f"2026-01-01T00:00:{point.run_index:02d}", "version": "5.1.0",
                "machine_info": {"node": "n1", "cpu": {"brand_raw": "x"}},
                "commit_info": {"id": point.commit},
                "benchmarks": [{"name": "test_fwd", "fullname": "bench.py::test_fwd",
                                "stats": {"median": point.value / 1000, "mean": 0.0}}]}
        paths.append(tmp_path / f"{point.run_index:04d}_run.json")
        paths[-1].write_text(json.dumps(data))
    assert main(["check", "--from-benchmark-json", *map(str, paths), "--format", "json"]) == 1
    found = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(v["kind"], v["commit"], v["metric"]) for v in found] == [
        ("regression", f"{20:040x}", "median")]
    (tmp_path / "broken.json").write_text("{}")
    assert main(["check", "--from-benchmark-json", str(tmp_path / "broken.json")]) == 2


def test_store_history_with_new_only(tmp_path, capsys) -> None:
    store = Store.open(str(tmp_path / "results.db"))
    fill_store(store, make_series(14, runs=40, shifts={39: 0.4}))
    db = str(tmp_path / "results.db")
    assert main(["--store", db, "check", "--new", "--fail-on-unconfirmed"]) == 1
    capsys.readouterr()
    code = main(["--store", db, "check", "--format", "json"])
    found = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0  # one wild newest run, already reported as suspected: nothing new
    assert [(v["kind"], v["run_id"], v["state"]) for v in found] == [
        ("regression", "run39", "unconfirmed")]
    assert "# image: sha256:abc" in found[0]["repro"]
    assert main(["--store", db, "check", "--new"]) == 0
    assert "Nothing changed since the last check." in capsys.readouterr().out


def test_acceptance_html_report_shows_the_step_and_labels_the_environment(tmp_path,
                                                                          capsys) -> None:
    pytest.importorskip("matplotlib", reason="the optional `report` extra is not installed")
    report = tmp_path / "report.html"
    code = main(["check", "--from-csv", str(write_history(tmp_path / "h.csv")),
                 "--html", str(report), "--markdown", str(tmp_path / "summary.md")])
    assert code == 1
    assert "environment change" in capsys.readouterr().out
    page = report.read_text(encoding="utf-8")
    assert page.count("<svg ") == 1 and "<img" not in page
    assert '<tr class="regression">' in page and '<tr class="environment_change">' in page
    assert f"{39:040x}"[:10] + ".." + f"{40:040x}"[:10] in page
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "| regression |" in summary and "| environment change |" in summary


def test_html_report_shows_what_differs_around_a_flagged_range(tmp_path) -> None:
    pytest.importorskip("matplotlib", reason="the optional `report` extra is not installed")
    series = make_series(5, runs=30, shifts={20: 0.10})
    db = str(tmp_path / "r.db")
    store = Store.open(db)
    fill_store(store, series)
    for point in series.points:
        store.record_config(point.run_id, series.test,
                            {"train": {"lr": 0.02 if point.run_index >= 20 else 0.01,
                                       "epochs": 2}})
    store.close()
    report = tmp_path / "report.html"
    assert main(["--store", db, "check", "--html", str(report)]) == 1
    page = report.read_text(encoding="utf-8")
    table = page[page.index('<table class="diff">'):]
    table = table[:table.index("</table>")]
    assert "<td>train.lr</td><td>0.01</td><td>0.02</td>" in table
    assert "epochs" not in table and "hostname" not in table  # only what differs
    assert page.index('<table class="diff">') < page.index("<svg ")
