"""Time-range annotations carried as comment text: `[01:12.0–01:18.5] keep the load lower`.

The lab server's comment request takes only a text (lab.server.requests), so the range travels at the
head of it, readable as-is on the student's station and in any MCAP reader, and parsed back here for
the timeline (annotations as time-range events, shared/reference/bus_booking_privacy.md §1.9).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_RANGE = re.compile(r"\[(\d+):(\d{2}(?:\.\d+)?)[–-](\d+):(\d{2}(?:\.\d+)?)\]\s?(.*)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Annotation:
    text: str
    start: float | None = None  # session seconds; None: a plain comment
    end: float | None = None


def clock(seconds: float) -> str:
    """Session time as `mm:ss.s`."""
    minutes, rest = divmod(max(0.0, seconds), 60.0)
    return f"{int(minutes):02d}:{rest:04.1f}"


def annotation_text(text: str, start: float | None = None, end: float | None = None) -> str:
    """The comment text to send: the range (if any, ordered) in front of the words."""
    if start is None or end is None:
        return text
    low, high = sorted((start, end))
    return f"[{clock(low)}–{clock(high)}] {text}"


def parse_annotation(text: str) -> Annotation:
    found = _RANGE.fullmatch(text)
    if found is None:
        return Annotation(text)
    m0, s0, m1, s1, words = found.groups()
    return Annotation(words, int(m0) * 60 + float(s0), int(m1) * 60 + float(s1))
