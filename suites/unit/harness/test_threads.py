"""The torch thread count fixed for a measurement, and restored after it."""

import sys

import pytest

from harness.measure.threads import fixed_threads


def test_threads_are_fixed_inside_and_restored_after():
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    with fixed_threads(1) as count:
        assert count == torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_zero_keeps_torchs_own_count():
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    with fixed_threads(0) as count:
        assert count == before


def test_plain_python_work_has_no_thread_count(monkeypatch):
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    with fixed_threads(1) as count:
        assert count is None


def test_negative_counts_are_refused():
    with pytest.raises(ValueError, match="negative"):
        with fixed_threads(-1):
            pass
