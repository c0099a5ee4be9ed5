"""External histories: a CSV contract and pytest-benchmark JSON files, read into series.

CSV columns (header required, extra columns ignored, `unit` optional):
    run,commit,test,metric,value,higher_is_better,env
`run` is an increasing integer, `env` any string that changes when the environment changes,
`higher_is_better` one of true/false, yes/no, 1/0, higher/lower.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from pathlib import Path

from harness.detect.series import Point, Series, SeriesBuilder

CSV_COLUMNS = ("run", "commit", "test", "metric", "value", "higher_is_better", "env")
_DIRECTIONS = {
    "true": True, "yes": True, "1": True, "higher": True,
    "false": False, "no": False, "0": False, "lower": False,
}


class HistoryError(ValueError):
    """An imported history is malformed; the message names the file, line and problem."""


def _direction(text: str, where: str) -> bool:
    try:
        return _DIRECTIONS[text.strip().lower()]
    except KeyError:
        raise HistoryError(
            f"{where}: unknown direction {text!r} in column higher_is_better "
            "(use true/false, yes/no, 1/0 or higher/lower)"
        ) from None


def _number(text: str, column: str, where: str, kind: type = float):
    try:
        number = kind(text.strip())
    except ValueError:
        raise HistoryError(f"{where}: {column} {text!r} is not a number") from None
    if kind is float and not math.isfinite(number):
        raise HistoryError(f"{where}: {column} {text!r} is not a finite number")
    return number


def _csv_rows(path: Path) -> list[dict[str, str]]:
    """The data rows of a CSV history, after checking the header."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:  # -sig: Excel's BOM
            reader = csv.DictReader(handle)
            reader.fieldnames = [name.strip() for name in reader.fieldnames or []]
            rows = list(reader)
    except FileNotFoundError:
        raise HistoryError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise HistoryError(f"{path}: cannot read CSV: {error}") from None
    if not rows:
        raise HistoryError(f"{path}: no rows (expected a header {','.join(CSV_COLUMNS)} "
                           "and one row per value)")
    missing = [column for column in CSV_COLUMNS if column not in reader.fieldnames]
    if missing:
        raise HistoryError(f"{path}: missing column(s) {', '.join(missing)}; "
                           f"required: {','.join(CSV_COLUMNS)}")
    return rows


def read_csv(path: Path) -> list[Series]:
    """Series from a CSV history; raises HistoryError naming the first bad line."""
    builder = SeriesBuilder()
    seen: set[tuple[int, str, str]] = set()
    for line, row in enumerate(_csv_rows(path), start=2):
        where = f"{path}:{line}"
        if None in row.values() or None in row:
            raise HistoryError(f"{where}: wrong number of fields")
        run = _number(row["run"], "run", where, int)
        value = _number(row["value"], "value", where)
        key = (run, row["test"], row["metric"])
        if not row["test"] or not row["metric"]:
            raise HistoryError(f"{where}: empty test or metric")
        if key in seen:
            raise HistoryError(f"{where}: duplicate value for run {run}, test {row['test']}, "
                               f"metric {row['metric']}")
        seen.add(key)
        point = Point(run, str(run), row["commit"].strip(), row["env"], value)
        builder.add(row["test"], row["metric"], point,
                    _direction(row["higher_is_better"], where), row.get("unit") or "")
    return builder.build()


def _machine_fingerprint(machine: dict) -> str:
    identity = {key: machine.get(key) for key in
                ("node", "processor", "machine", "python_implementation", "python_version",
                 "cpu")}
    return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()
                          ).hexdigest()[:12]


def read_benchmark_json(paths: list[Path]) -> list[Series]:
    """Series from pytest-benchmark JSON files (one file = one run, ordered by its datetime).

    Each benchmark's median time becomes metric `median` (seconds, lower is better); the
    machine info is the environment.
    """
    loaded = []
    for path in paths:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            benchmarks = data["benchmarks"]
        except FileNotFoundError:
            raise HistoryError(f"{path}: no such file") from None
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise HistoryError(f"{path}: not a pytest-benchmark JSON file ({error})") from None
        loaded.append((str(data.get("datetime", "")), str(path), data, benchmarks))
    builder = SeriesBuilder()
    for index, (_, source, data, benchmarks) in enumerate(sorted(loaded)):
        commit = str((data.get("commit_info") or {}).get("id", ""))
        env = _machine_fingerprint(data.get("machine_info") or {})
        for bench in benchmarks:
            try:
                name = bench.get("fullname") or bench["name"]
                value = float(bench["stats"]["median"])
            except (KeyError, TypeError, ValueError) as error:
                raise HistoryError(f"{source}: benchmark without a median ({error})") from None
            point = Point(index, Path(source).stem, commit, env, value)
            builder.add(name, "median", point, higher_is_better=False, unit="s")
    return builder.build()
