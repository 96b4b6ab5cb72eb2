"""One session on one timeline, filled the same way live and from a recording, and the playhead over it.

The mentor viewer follows rerun's time model (shared/reference/bus_booking_privacy.md §1.9): one
timeline on the session clock, a playhead that is following (the newest data), playing (at a speed)
or paused, and scrubbing anywhere in what is held. Live, it holds the last `keep_s` seconds of state
and pose (a ring); a recording is held whole. Both are fed bus envelopes (`add`), so replay uses the
same decoding and drawing path as live. Pure: no Qt, no I/O.

Session time: the station runtime stamps every envelope `t_wall = session start + t`
(station_app.runtime.live), so `origin = t_wall - body.t` of any state places server-stamped
messages (comments) on the session clock too.
"""

from __future__ import annotations

import bisect
import enum
import math
from dataclasses import dataclass, field
from typing import Any

from lab.bus.envelope import Envelope
from lab.bus.text import Text
from lab.bus.topics import Kind
from station_app.mentor.annotations import Annotation, annotation_of
from station_app.runtime.coaching import SEVERITY_ORDER
from vision.posestream import PoseFrame

SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0)  # §1.9: playback speed 0.25–4×
LIVE_KEEP_S = 300.0  # a live session's scrubbable ring: five minutes
COACH_TYPES = ("coach.cue", "coach.end")  # event types of the coach (station_app.runtime.session)


@dataclass
class Cue:
    """A coach event as a time range (open while it lasts)."""

    rule_id: str
    kind: str
    severity: str
    body_part: str | None
    onset: float
    detected_at: float
    end: float | None
    text: Text

    def active(self, t: float) -> bool:
        return self.detected_at <= t and (self.end is None or t < self.end)


@dataclass(frozen=True)
class Comment:
    seq: int
    t_wall: float
    author: str  # the pseudonymous ZAP User-Id, never a name
    role: str
    annotation: Annotation


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError("not a finite number")
    return float(value)


@dataclass
class SessionTimeline:
    station: str
    session: str
    keep_s: float | None = None  # None: hold everything (a recording)
    origin: float | None = None  # t_wall of session time 0, once a state has arrived
    skipped: int = 0  # messages with a body this viewer cannot use (counted, never raised)
    cues: list[Cue] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    _state_t: list[float] = field(default_factory=list)
    _states: list[dict[str, Any]] = field(default_factory=list)
    _pose_t: list[float] = field(default_factory=list)
    _poses: list[PoseFrame] = field(default_factory=list)

    # --- filling ---------------------------------------------------------------------------------

    def add(self, kind: Kind, envelope: Envelope) -> bool:
        """Take one message; False (and counted in `skipped`) if its body is unusable."""
        body = envelope.body
        try:
            if kind is Kind.STATE:
                t = _number(body["t"])
                if self.origin is None:
                    self.origin = envelope.t_wall - t
                _insert(self._state_t, self._states, t, body)
                self._prune()
            elif kind is Kind.POSE:
                frame = PoseFrame.from_json(body)
                _insert(self._pose_t, self._poses, frame.t, frame)
            elif kind is Kind.EVENTS and envelope.type in COACH_TYPES:
                self._event(envelope)
            elif kind is Kind.COMMENT and envelope.type == "comment":
                self._comment(envelope)
            else:
                return False  # e.g. session.start/end, instructor control requests: not drawn here
        except (KeyError, TypeError, ValueError):
            self.skipped += 1
            return False
        return True

    def _event(self, envelope: Envelope) -> None:
        body = envelope.body
        if body.get("kind") == "cannot_judge":
            return
        rule, onset = str(body["rule_id"]), _number(body["onset"])
        end = None if body.get("end") is None else _number(body["end"])
        if envelope.type == "coach.end":  # the same event again, now with its end
            for cue in self.cues:
                if (cue.rule_id, cue.onset) == (rule, onset):
                    cue.end = end
                    return
        self.cues.append(
            Cue(
                rule_id=rule,
                kind=str(body["kind"]),
                severity=str(body["severity"]),
                body_part=body.get("body_part"),
                onset=onset,
                detected_at=_number(body["detected_at"]),
                end=end,
                text=Text.from_dict(body["cue"]),
            )
        )

    def _comment(self, envelope: Envelope) -> None:
        body = envelope.body
        comment = Comment(
            envelope.seq, envelope.t_wall, str(body["author"]), str(body["role"]), annotation_of(body)
        )
        bisect.insort(self.comments, comment, key=lambda c: c.t_wall)

    def _prune(self) -> None:
        """Live: drop state and pose older than the ring (in bulk, so appending stays O(1) amortised)."""
        if self.keep_s is None or not self._state_t:
            return
        horizon = self._state_t[-1] - self.keep_s
        if self._state_t[0] >= horizon - 0.1 * self.keep_s:
            return
        for times, items in ((self._state_t, self._states), (self._pose_t, self._poses)):
            cut = bisect.bisect_left(times, horizon)
            del times[:cut], items[:cut]

    # --- reading ---------------------------------------------------------------------------------

    @property
    def start(self) -> float:
        return self._state_t[0] if self._state_t else 0.0

    @property
    def end(self) -> float:
        return self._state_t[-1] if self._state_t else 0.0

    @property
    def states(self) -> int:
        return len(self._states)

    @property
    def poses(self) -> int:
        return len(self._poses)

    def state_at(self, t: float) -> dict[str, Any] | None:
        i = bisect.bisect_right(self._state_t, t) - 1
        return self._states[max(0, i)] if self._states else None

    def pose_at(self, t: float, max_age_s: float = 0.5) -> PoseFrame | None:
        """The latest frame at or before t, unless it is older than `max_age_s` (the person left)."""
        i = bisect.bisect_right(self._pose_t, t) - 1
        return self._poses[i] if i >= 0 and t - self._pose_t[i] <= max_age_s else None

    def cues_at(self, t: float) -> list[Cue]:
        return [c for c in self.cues if c.active(t)]

    def worst_cue_at(self, t: float) -> Cue | None:
        return max(
            self.cues_at(t), key=lambda c: (SEVERITY_ORDER.get(c.severity, 0), c.detected_at), default=None
        )

    def next_cue_after(self, t: float) -> float | None:
        """Session time of the next alert after t (jump-to-next-alert, §1.9)."""
        return min((c.detected_at for c in self.cues if c.detected_at > t + 1e-6), default=None)

    def comment_time(self, comment: Comment) -> float | None:
        """When a comment was written, on the session clock (None before the first state)."""
        return None if self.origin is None else comment.t_wall - self.origin

    def sway(self, t0: float, t1: float) -> list[tuple[float, float]]:
        """(t, sway °) of the states in [t0, t1]."""
        lo, hi = bisect.bisect_left(self._state_t, t0), bisect.bisect_right(self._state_t, t1)
        out = []
        for body in self._states[lo:hi]:
            axes = body.get("axes", {})
            out.append(
                (float(body["t"]), math.hypot(axes.get("sway_x_deg", 0.0), axes.get("sway_y_deg", 0.0)))
            )
        return out


def _insert(times: list[float], items: list[Any], t: float, item: Any) -> None:
    """Keep time order; live messages almost always arrive in order, so this is an append."""
    if not times or t >= times[-1]:
        times.append(t)
        items.append(item)
        return
    i = bisect.bisect_right(times, t)
    times.insert(i, t)
    items.insert(i, item)


class Mode(enum.StrEnum):
    FOLLOWING = "following"  # the newest data (live only)
    PLAYING = "playing"
    PAUSED = "paused"


@dataclass
class Playhead:
    """Where the viewer is on the timeline and how it moves."""

    position: float = 0.0
    mode: Mode = Mode.PAUSED
    speed: float = 1.0

    def advance(self, real_dt: float, timeline: SessionTimeline, live: bool) -> float:
        """Move on by `real_dt` wall seconds; playing into the live edge turns into following."""
        if self.mode is Mode.FOLLOWING:
            self.position = timeline.end
        elif self.mode is Mode.PLAYING:
            self.position += real_dt * self.speed
            if self.position >= timeline.end:
                self.position = timeline.end
                self.mode = Mode.FOLLOWING if live else Mode.PAUSED
        self.position = min(max(self.position, timeline.start), timeline.end)
        return self.position

    def seek(self, t: float, timeline: SessionTimeline) -> None:
        """Scrub: stop following (playing goes on from the new place)."""
        self.position = min(max(t, timeline.start), timeline.end)
        if self.mode is Mode.FOLLOWING:
            self.mode = Mode.PAUSED

    def set_speed(self, speed: float) -> None:
        if speed not in SPEEDS:
            raise ValueError(f"speed must be one of {SPEEDS}")
        self.speed = speed
