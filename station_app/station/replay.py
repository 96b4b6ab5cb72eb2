"""An attempt read back from its MCAP recording, for the debrief's replay: the scene snapshots and
the pose frames on the session clock, searchable by time. No Qt here."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab.bus.topics import Kind
from lab.recording.mcap_io import read_recording
from vision.posestream import PoseFrame


@dataclass
class Replay:
    states: list[dict[str, Any]] = field(default_factory=list)  # snapshots, time order
    poses: list[PoseFrame] = field(default_factory=list)
    cues: list[dict[str, Any]] = field(default_factory=list)  # coach.cue event bodies
    _state_t: list[float] = field(default_factory=list)
    _pose_t: list[float] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return self._state_t[-1] if self._state_t else 0.0

    def state_at(self, t: float) -> dict[str, Any] | None:
        i = bisect.bisect_right(self._state_t, t) - 1
        return self.states[max(0, i)] if self.states else None

    def pose_at(self, t: float) -> PoseFrame | None:
        i = bisect.bisect_right(self._pose_t, t) - 1
        return self.poses[i] if i >= 0 else None

    def cue_at(self, t: float) -> dict[str, Any] | None:
        """The latest cue raised at or before t that has not ended by t."""
        live = [c for c in self.cues if c["detected_at"] <= t and (c["end"] is None or c["end"] > t)]
        return live[-1] if live else None


def load_replay(path: str | Path) -> Replay:
    """Read a session recording (a bad file is a RecordingError, a UserError)."""
    replay = Replay()
    for message in read_recording(path, kinds=(Kind.STATE, Kind.POSE, Kind.EVENTS)):
        body = message.envelope.body
        if message.kind is Kind.STATE:
            replay.states.append(body)
            replay._state_t.append(float(body["t"]))
        elif message.kind is Kind.POSE:
            try:
                frame = PoseFrame.from_json(body)
            except ValueError:
                continue  # a damaged frame is skipped, the replay goes on
            replay.poses.append(frame)
            replay._pose_t.append(frame.t)
        elif body.get("kind") == "cannot_judge":
            continue
        elif message.envelope.type == "coach.cue":
            replay.cues.append(dict(body))
        elif message.envelope.type == "coach.end":  # the same event again, now with its end
            for cue in replay.cues:
                if (cue["rule_id"], cue["onset"]) == (body["rule_id"], body["onset"]):
                    cue["end"] = body["end"]
    order = sorted(range(len(replay.poses)), key=lambda i: replay._pose_t[i])
    replay.poses = [replay.poses[i] for i in order]
    replay._pose_t = [replay._pose_t[i] for i in order]
    return replay
