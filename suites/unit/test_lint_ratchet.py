"""The lint ratchet's bookkeeping: fingerprints, comparisons, a baseline that only tightens."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from harness.lint.baseline import Fingerprint, fingerprint, load_baseline, save_baseline
from harness.lint.pylint_run import LintError, LintMessage, parse_report
from harness.lint.ratchet import compare, tightened


def message(symbol="unused-import", text="Unused import os", line=3, scope="",
            category="warning", path="pkg/mod.py") -> LintMessage:
    """A pylint message as the report parser makes it."""
    return LintMessage(path, line, category, symbol, "W0000", text, scope)


def test_a_fingerprint_ignores_lines_and_the_numbers_in_message_text():
    before = message("too-many-locals", "Too many local variables (16/15)", line=10, scope="f")
    after = message("too-many-locals", "Too many local variables (18/15)", line=42, scope="f")
    assert fingerprint(before) == fingerprint(after)
    assert fingerprint(before) != fingerprint(message("too-many-locals", "x", scope="g"))


def test_counts_may_fall_but_not_rise_and_errors_always_fail():
    baseline = Counter({fingerprint(message()): 2})
    assert compare(baseline, [message(line=1), message(line=9)]).passed
    fewer = compare(baseline, [message()])
    assert fewer.passed and fewer.fixed == 1
    more = compare(baseline, [message(line=1), message(line=5), message(line=9)])
    assert not more.passed
    assert [(rise.allowed, rise.found, len(rise.occurrences)) for rise in more.increases] == [
        (2, 3, 3)
    ]
    error = message("undefined-variable", "Undefined variable 'x'", category="error")
    failed = compare(Counter({fingerprint(error): 5}), [error])
    assert not failed.passed and failed.errors == (error,)


def test_tightening_never_raises_a_count_and_drops_what_is_gone():
    a, b, c = (Fingerprint("m.py", s, "", "t") for s in ("a", "b", "c"))
    assert tightened(Counter({a: 3, b: 1}), Counter({a: 1, c: 4})) == Counter({a: 1})


def test_the_baseline_file_is_sorted_stable_json(tmp_path):
    path = tmp_path / "baseline.json"
    counts = Counter({Fingerprint("z.py", "s", "", "t"): 1, Fingerprint("a.py", "s", "f", "t"): 2})
    save_baseline(path, counts)
    text = path.read_text()
    assert [entry["path"] for entry in json.loads(text)["messages"]] == ["a.py", "z.py"]
    assert load_baseline(path) == counts
    save_baseline(path, load_baseline(path))
    assert path.read_text() == text
    assert load_baseline(tmp_path / "missing.json") == Counter()


@pytest.mark.parametrize("content", ["{not json", '{"version": 99, "messages": []}',
                                     '{"version": 1, "messages": [{"path": "x"}]}'])
def test_a_damaged_baseline_is_a_clear_error(tmp_path, content):
    path = tmp_path / "baseline.json"
    path.write_text(content)
    with pytest.raises(LintError, match="cannot read lint baseline"):
        load_baseline(path)


def test_the_json2_report_is_read_with_paths_relative_to_the_baseline(tmp_path):
    report = {"messages": [{
        "type": "convention", "symbol": "missing-module-docstring", "messageId": "C0114",
        "message": "Missing module docstring", "obj": "", "line": 1,
        "path": "pkg/mod.py", "absolutePath": str(tmp_path / "pkg" / "mod.py"),
    }]}
    [parsed] = parse_report(json.dumps(report), tmp_path)
    assert (parsed.path, parsed.symbol, parsed.scope, parsed.is_error) == (
        "pkg/mod.py", "missing-module-docstring", "", False
    )
    with pytest.raises(LintError, match="not JSON"):
        parse_report("Traceback ...", tmp_path)
