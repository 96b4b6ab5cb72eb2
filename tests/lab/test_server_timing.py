"""The relay's own latency split (lab.server.timing): what it keeps and how it summarises."""

from __future__ import annotations

import pytest

from lab.server.timing import RelayTiming


def test_splits_upstream_from_processing_in_milliseconds():
    timing = RelayTiming()
    for i in range(100):
        sent = 10.0 + i
        timing.add(sent, sent + 0.002, sent + 0.002 + i / 1e6)  # 2 ms upstream, i µs processing
    summary = timing.summary()
    assert summary["messages"] == 100
    assert summary["upstream_ms"]["p50"] == pytest.approx(2.0, abs=1e-6)
    assert summary["upstream_ms"]["max"] == pytest.approx(2.0, abs=1e-6)
    processing = summary["processing_ms"]
    assert [processing[k] for k in ("p50", "p95", "p99", "max")] == pytest.approx(
        [0.050, 0.094, 0.098, 0.099], abs=1e-6
    )


def test_keeps_only_the_window_and_at_most_capacity():
    timing = RelayTiming(capacity=3)
    timing.window = (5.0, 10.0)
    for sent in (4.9, 5.0, 6.0, 7.0, 8.0, 10.0):
        timing.add(sent, sent + 0.001, sent + 0.003)
    summary = timing.summary()
    assert summary["messages"] == 3  # 4.9 and 10.0 are outside, 8.0 is over capacity
    assert summary["processing_ms"]["max"] == pytest.approx(2.0, abs=1e-6)


def test_an_empty_summary_says_so():
    assert RelayTiming().summary() == {"messages": 0, "upstream_ms": None, "processing_ms": None}
