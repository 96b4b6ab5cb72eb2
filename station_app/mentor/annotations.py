"""Comments as time-range annotations (shared/reference/bus_booking_privacy.md §1.9: annotations are
time-range events with start, end, author and text).

The range travels in the comment's body as `start`/`end` (session seconds, lab.recording.schemas), so
the words stay the words; the views show the range as `[01:12.0–01:18.5]`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Annotation:
    text: str
    start: float | None = None  # session seconds; None: a plain comment
    end: float | None = None


def clock(seconds: float) -> str:
    """Session time as `mm:ss.s`."""
    minutes, rest = divmod(max(0.0, seconds), 60.0)
    return f"{int(minutes):02d}:{rest:04.1f}"


def span(start: float, end: float) -> tuple[float, float]:
    """A range to send, ordered (a drag may go right to left)."""
    low, high = sorted((start, end))
    return low, high


def annotation_of(body: Mapping[str, Any]) -> Annotation:
    """The annotation in a comment body; a range only when both ends are usable numbers."""
    text = body["text"]
    if not isinstance(text, str):
        raise ValueError("a comment needs a text")
    start, end = body.get("start"), body.get("end")
    ranged = all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in (start, end)
    )
    return Annotation(text, float(start), float(end)) if ranged else Annotation(text)
