"""Where a relayed message's time goes, measured inside the relay (opt-in; benchmarks/bus_load.py).

End-to-end latency on a shared machine mixes the relay's own work with time spent waiting for a
CPU. The relay can split it: `upstream` is station send (`Envelope.t_mono`, CLOCK_MONOTONIC, the
same clock in every process on a host) to the moment the relay thread took the message off its
socket — station I/O, CurveZMQ, TCP, and the wait in the relay's queue; `processing` is that moment
to the last send returning — validation, grant lookup, fan-out and the hand-off to the recorder.
"""

from __future__ import annotations

from array import array
from typing import Any

PERCENTILES = (50, 95, 99)


class RelayTiming:
    """Samples in milliseconds of messages sent within `window` (monotonic seconds; None = all),
    at most `capacity` of them (bounded memory)."""

    def __init__(self, capacity: int = 1_000_000) -> None:
        self.capacity = capacity
        self.window: tuple[float, float] | None = None
        self.upstream_ms = array("d")
        self.processing_ms = array("d")

    def add(self, sent: float, received: float, forwarded: float) -> None:
        """Monotonic seconds: the station's send, the relay's receipt, the end of forwarding."""
        window = self.window
        if window is not None and not window[0] <= sent < window[1]:
            return
        if len(self.processing_ms) < self.capacity:
            self.upstream_ms.append((received - sent) * 1000.0)
            self.processing_ms.append((forwarded - received) * 1000.0)

    def summary(self) -> dict[str, Any]:
        return {
            "messages": len(self.processing_ms),
            "upstream_ms": _percentiles(self.upstream_ms),
            "processing_ms": _percentiles(self.processing_ms),
        }


def _percentiles(samples: array) -> dict[str, float] | None:
    """Percentiles by rank (no interpolation) and the maximum; no numpy in the server's path."""
    if not samples:
        return None
    ordered = sorted(samples)
    last = len(ordered) - 1
    result = {f"p{p}": ordered[round(last * p / 100)] for p in PERCENTILES}
    result["max"] = ordered[-1]
    return result
