"""Run statistics for the CLI and the edge heartbeat: frames, fps, latency percentiles, drops."""

from __future__ import annotations

import os
import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np

WINDOW = 300  # frames kept for percentiles (10 s at 30 fps)


@dataclass
class RunStats:
    """Counts since start; latency percentiles over the last WINDOW frames."""

    frames: int = 0
    persons: int = 0
    dropped: int = 0
    started: float = field(default_factory=time.monotonic)
    _latency_ms: deque[float] = field(default_factory=lambda: deque(maxlen=WINDOW))
    _cpu_mark: tuple[float, float] = field(default_factory=lambda: (time.monotonic(), time.process_time()))

    def add(self, latency_s: float, has_person: bool) -> None:
        self.frames += 1
        self.persons += has_person
        self._latency_ms.append(latency_s * 1000.0)

    @property
    def fps(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.frames / elapsed if elapsed > 0 else 0.0

    def latency_percentiles(self) -> dict[str, float]:
        if not self._latency_ms:
            return {"p50": 0.0, "p95": 0.0, "max": 0.0}
        values = np.fromiter(self._latency_ms, dtype=float)
        p50, p95 = np.percentile(values, [50, 95])
        return {
            "p50": round(float(p50), 2),
            "p95": round(float(p95), 2),
            "max": round(float(values.max()), 2),
        }

    def cpu_load(self) -> float:
        """This process's CPU use since the last call, as a fraction of all cores (0..1)."""
        wall, cpu = time.monotonic(), time.process_time()
        last_wall, last_cpu = self._cpu_mark
        self._cpu_mark = (wall, cpu)
        elapsed = wall - last_wall
        return round((cpu - last_cpu) / elapsed / (os.cpu_count() or 1), 3) if elapsed > 0 else 0.0

    def summary(self) -> dict[str, object]:
        return {
            "frames": self.frames,
            "frames_with_person": self.persons,
            "dropped": self.dropped,
            "fps": round(self.fps, 2),
            "latency_ms": self.latency_percentiles(),
        }
