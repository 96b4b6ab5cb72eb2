"""Per-learner range expansion (ADR-style) for parameters whose difficulty is not calibrated yet.

For such a parameter the difficulty model cannot say how hard a value is, so the learner is
exposed to it up to the hardest value they have been passing at: the boundary. Attempts at the
boundary fill a short buffer; when it is full, a high pass rate widens the range by one step and
a low one narrows it (OpenAI 2019 ADR; constants for humans per shared/reference/adaptive.md §3.3:
m = 4 boundary attempts, t_H = 0.75, t_L = 0.5, and larger steps than for RL).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

INITIAL_EDGE = 0.3  # normalised: a new learner meets the easiest 30 % of an uncalibrated range
STEP = 0.15
BUFFER = 4
WIDEN_AT = 0.75
SHRINK_AT = 0.5
AT_BOUNDARY = 0.02  # |x − edge| below which an attempt counts as a boundary attempt


@dataclass(frozen=True)
class Frontier:
    """Hardest normalised value per parameter the learner is exposed to, and boundary outcomes."""

    edge: np.ndarray  # (J,)
    buffers: tuple[tuple[bool, ...], ...]

    @classmethod
    def start(cls, n_params: int) -> Frontier:
        return cls(edge=np.full(n_params, INITIAL_EDGE), buffers=((),) * n_params)


@dataclass(frozen=True)
class FrontierEvent:
    """A range change, for the explanation: parameter index, old and new edge, passes / attempts."""

    param: int
    old_edge: float
    new_edge: float
    passes: int
    attempts: int


def observe(
    frontier: Frontier, x: np.ndarray, passed: bool, uncalibrated: np.ndarray
) -> tuple[Frontier, list[FrontierEvent]]:
    """Record one attempt; widen or shrink the edges whose buffer filled up."""
    edge = frontier.edge.copy()
    buffers = list(frontier.buffers)
    events = []
    for j in np.flatnonzero(uncalibrated):
        if x[j] < edge[j] - AT_BOUNDARY:
            continue
        buffer = (*buffers[j], passed)
        if len(buffer) >= BUFFER:
            rate = sum(buffer) / len(buffer)
            old = float(edge[j])
            if rate >= WIDEN_AT:
                edge[j] = min(1.0, old + STEP)
            elif rate <= SHRINK_AT:
                edge[j] = max(INITIAL_EDGE, old - STEP)
            if edge[j] != old:
                events.append(FrontierEvent(int(j), old, float(edge[j]), sum(buffer), len(buffer)))
            buffer = ()
        buffers[j] = buffer
    return Frontier(edge=edge, buffers=tuple(buffers)), events
