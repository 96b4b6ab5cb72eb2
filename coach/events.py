"""Coach events: what happened, where on the body, when, measured against what, and what to do."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lab.bus.text import Text

SEVERITIES = ("info", "warning", "critical")


@dataclass
class CoachEvent:
    """One finding with an onset and (once over) an end, in stream seconds.

    kind: "violation" (a rule fired), "cannot_judge" (the rule abstains: occluded or wrong view),
    "signal" (a recognised crane hand signal), "malformed_signal", "step_order", "deviation"
    (from the reference demonstration). `detected_at` is when the coach knew (onset + debounce).
    """

    rule_id: str
    kind: str
    severity: str
    body_part: str
    onset: float
    detected_at: float
    cue: Text
    value: float | None = None
    threshold: float | None = None
    unit: str = ""
    step_id: str | None = None
    end: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "kind": self.kind,
            "severity": self.severity,
            "body_part": self.body_part,
            "onset": round(self.onset, 3),
            "end": None if self.end is None else round(self.end, 3),
            "detected_at": round(self.detected_at, 3),
            "value": None if self.value is None else round(self.value, 2),
            "threshold": self.threshold,
            "unit": self.unit,
            "step_id": self.step_id,
            "cue": self.cue.to_dict(),
            "detail": self.detail,
        }
