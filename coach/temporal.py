"""Debouncing for every decision: minimum duration, hysteresis, minimum clear time, cooldown.

Jitter makes raw per-frame thresholds flicker (shared/reference/coach_anchors.md §1.8); a finding
starts only after its condition has held for `min_duration`, stays while the value is beyond the
(looser) exit threshold, ends after `min_clear` seconds below it, and cannot restart within `cooldown`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Timing:
    enter: float
    exit: float
    min_duration: float = 0.3
    min_clear: float = 0.3
    cooldown: float = 1.0


class Gate:
    """State machine over (t, value): returns "start", "end" or None per update."""

    __slots__ = ("_candidate", "_cooldown_until", "_last_true", "active", "onset", "peak", "timing")

    def __init__(self, timing: Timing) -> None:
        self.timing = timing
        self.active = False
        self.onset = 0.0
        self.peak = 0.0
        self._candidate: float | None = None
        self._last_true = 0.0
        self._cooldown_until = -1e18

    def update(self, t: float, value: float | None) -> str | None:
        """Feed one frame; `value` None means the rule cannot judge this frame (never raises)."""
        timing = self.timing
        if not self.active:
            if value is None or value < timing.enter:
                self._candidate = None
                return None
            if self._candidate is None:
                self._candidate = t
                self.peak = value
            self.peak = max(self.peak, value)
            if t - self._candidate >= timing.min_duration and t >= self._cooldown_until:
                self.active = True
                self.onset = self._candidate
                self._last_true = t
                return "start"
            return None
        if value is not None and value >= timing.exit:
            self._last_true = t
            self.peak = max(self.peak, value)
            return None
        if t - self._last_true >= timing.min_clear:
            self.active = False
            self._candidate = None
            self._cooldown_until = t + timing.cooldown
            return "end"
        return None

    def close(self, t: float) -> None:
        """End an active finding now (another finding supersedes it); the cooldown still applies."""
        self.active = False
        self._candidate = None
        self._cooldown_until = t + self.timing.cooldown

    def hold_off(self, until: float) -> None:
        """Do not start before `until` (e.g. while a related finding has just ended)."""
        self._cooldown_until = max(self._cooldown_until, until)

    @property
    def last_true(self) -> float:
        return self._last_true
