"""A one-line progress bar on stderr (human output never goes to stdout)."""

from __future__ import annotations

import sys
from typing import TextIO

WIDTH = 30


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
