"""A one-line progress bar on stderr (human output never goes to stdout)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TextIO

WIDTH = 30
REDRAW_EVERY = 15  # ticks between redraws while following a session


class ProgressBar:
    """Redrawn in place on a terminal; on a pipe or file, one line per `begin` and none per update."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total = total
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self.done = 0
        self.label = ""

    def begin(self, label: str) -> None:
        self.label = label
        if not self.live:
            print(f"[{self.done + 1}/{self.total}] {label}", file=self.stream, flush=True)
        self.update(0.0)

    def update(self, fraction: float, note: str = "") -> None:
        if not self.live:
            return
        overall = (self.done + min(max(fraction, 0.0), 1.0)) / self.total
        filled = round(overall * WIDTH)
        bar = "█" * filled + "░" * (WIDTH - filled)
        self.stream.write(f"\r{bar} {overall:4.0%}  {self.label} {note}\x1b[K")
        self.stream.flush()

    def end(self) -> None:
        self.done += 1
        if self.live:
            self.update(0.0)
            self.stream.write("\n")
            self.stream.flush()

    def follow(self, session: Any) -> Callable[[str, Any], None]:
        """A listener for a `StationSession`: progress is session time over its time limit."""
        ticks = 0

        def listener(kind: str, payload: Any) -> None:
            nonlocal ticks
            if kind == "tick":
                ticks += 1
                if ticks % REDRAW_EVERY == 0 and session.limit_s:
                    self.update(payload.t / session.limit_s, f"t = {payload.t:5.1f} s  {payload.state.step}")

        return listener
