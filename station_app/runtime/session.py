"""One training session at a station, driven step by step: prepare → start → step … → finish.

A view (the Qt station app) calls `step` from its timer with the operator's command and redraws from
the updates it is sent; a headless driver (`shixun demo`, `shixun session run`) calls `run`. The same
code path either way:

    prepare  learner, booking check, parameters from the generator with their explanation (stored)
    start    sim scene reset with those parameters and seed, operator reset, pose source opened
    step     instructor changes from the inbox (wind, faults) → operator command → sim step → pose
             frames up to the sim time → coach with the current step as context → pose, state and
             coach events on the bus and into the recording
    finish   result + coach summary stored on the attempt (the learner model is the fold of the
             stored attempts, so this updates it), privacy check on disk, debrief

Listeners receive `(kind, payload)`: ("prepared", PreparedAttempt), ("started", CraneState),
("tick", Tick), ("control", the session.control event body), ("comment", bus Message),
("finished", Debrief), ("aborted", reason Text). They run on the caller's thread.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from coach.engine import Coach
from coach.events import CoachEvent
from lab.bus.sockets import Publisher
from lab.bus.text import Text, UserError
from lab.bus.topics import Kind
from lab.privacy import files
from lab.privacy.media import find_media_files
from scenarios.paramspace import Space
from scenarios.spec import Spec
from sim.operators.base import Operator
from sim.operators.command import Command
from sim.runner import OPERATOR_SEED_KEY, make_scene
from station_app.runtime import store_link
from station_app.runtime.coaching import SignalOperator, coach_config, frame_context, summarise
from station_app.runtime.control import CONTROL_TYPE, EVENT_TYPE, Inbox, control_event, requested_change
from station_app.runtime.debrief import Debrief
from station_app.runtime.live import SessionOutput
from station_app.runtime.poses import PoseSource
from station_app.runtime.store_link import PreparedAttempt
from vision.posestream import PoseFrame

SWAY_PERIOD_S = 0.1  # sway samples in the debrief: 10 Hz, whatever the control rate
Listener = Callable[[str, Any], None]
# (session length bound in s, attempt seed) -> the session's pose source
PoseFactory = Callable[[float, int], PoseSource]


class SessionError(UserError):
    """A session driven out of order (e.g. step before start)."""


@dataclass(frozen=True)
class SessionSettings:
    """Plain values the front end reads from configuration and flags."""

    station: str = "station-01"
    require_booking: bool = False
    signal_set: str | None = None  # hand-signal standard for the coach (and the signal operator)
    recordings_dir: Path | None = None  # None: no recording
    clips_dir: Path | None = None  # where clips would be; checked empty when they may not be kept
    clip_retention_days: int = 0  # 0: clips are never kept, whatever the consent
    generator_seed: int | None = None
    preview_next: bool = True


@dataclass(frozen=True)
class Tick:
    """What one control step produced, for a view to draw."""

    t: float
    state: Any  # the scene's state (CraneState for the crane)
    snapshot: dict[str, Any]  # the scene's snapshot (bodies, zones, wind), as streamed and recorded
    command: Command
    poses: list[PoseFrame]
    reba: dict[str, Any] | None  # REBA of the last judged frame this tick
    cues: list[CoachEvent]  # coach events that started this tick
    ended: list[CoachEvent]
    done: bool


@dataclass
class _Run:
    """Everything that exists between start and finish."""

    scene: Any
    state: Any
    coach: Coach
    poses: PoseSource | None
    output: SessionOutput
    started_wall: float
    sway: list[tuple[float, float]] = field(default_factory=list)
    steps: list[tuple[float, str]] = field(default_factory=list)  # (session s, step entered)
    reba: list[int] = field(default_factory=list)


class StationSession:
    def __init__(
        self,
        factory: sessionmaker[Session],
        spec: Spec,
        learner: str,
        operator: Operator,
        poses: PoseFactory | None = None,
        settings: SessionSettings = SessionSettings(),
        publisher: Publisher | None = None,
        listeners: list[Listener] | None = None,
        inbox: Inbox | None = None,
    ) -> None:
        self.factory, self.spec, self.space = factory, spec, Space(spec)
        self.learner = learner
        self.operator = operator
        self.pose_factory = poses
        self.settings = settings
        self.publisher = publisher
        self.listeners = list(listeners or [])
        self.inbox = inbox  # instructor requests and comments for this station (e.g. StationLink.comments)
        self.prepared: PreparedAttempt | None = None
        self.debrief: Debrief | None = None
        self._run: _Run | None = None

    # --- phases ----------------------------------------------------------------------------------

    def prepare(self) -> PreparedAttempt:
        """Learner, booking check, generated parameters; stores the attempt and opens the session."""
        self.prepared = store_link.prepare(
            self.factory,
            self.space,
            self.learner,
            self.settings.station,
            _now(),
            require_booking=self.settings.require_booking,
            seed=self.settings.generator_seed,
        )
        self._emit("prepared", self.prepared)
        return self.prepared

    def start(self) -> Any:
        """Build the scene with the prepared parameters and open the pose source and outputs."""
        prepared = self.prepared or self.prepare()
        if self._run is not None:
            raise SessionError("会话已经开始", "the session has already started")
        scene = make_scene(self.spec)
        try:
            state = scene.reset(prepared.params, prepared.seed)
            self.operator.reset(scene, np.random.default_rng([prepared.seed, OPERATOR_SEED_KEY]))
            poses = self.pose_factory(scene.stop_s, prepared.seed) if self.pose_factory else None
        except BaseException:
            scene.close()
            raise
        recording = None
        if self.settings.recordings_dir is not None:
            recording = self.settings.recordings_dir / f"{self.settings.station}_{prepared.session_id}.mcap"
        output = SessionOutput(self.settings.station, prepared.session_id, self.publisher, recording)
        coach = Coach(coach_config(self.spec, self.settings.signal_set))
        self._run = _Run(
            scene, state, coach, poses, output, time.perf_counter(), steps=[(state.t, state.step)]
        )
        # What the attempt is, for live viewers and replay; the session id is the only handle on the
        # learner that travels (DESIGN.md "Security and privacy").
        start = {
            "scenario": self.spec.id,
            "params": prepared.params,
            "seed": prepared.seed,
            "predicted_success": prepared.predicted_success,
            "summary": prepared.explanation["summary"],
        }
        output.emit(Kind.EVENTS, state.t, start, type="session.start")
        output.emit(Kind.STATE, state.t, scene.snapshot())
        self._emit("started", state)
        return state

    @property
    def running(self) -> bool:
        return self._run is not None

    @property
    def done(self) -> bool:
        return self._run is not None and self._run.scene.done

    @property
    def off_station(self) -> bool:
        """Whether the live stream can leave this machine now: the view must show it while it does."""
        return self._run is not None and self._run.output.off_station

    @property
    def limit_s(self) -> float | None:
        """The latest session time the attempt can run to (the examiner's stop time)."""
        return None if self._run is None else float(self._run.scene.stop_s)

    @property
    def state(self) -> Any:
        return None if self._run is None else self._run.state

    def snapshot(self) -> dict[str, Any] | None:
        """The scene's snapshot now (bodies, zones, wind), e.g. to draw before the first step."""
        return None if self._run is None else self._run.scene.snapshot()

    def step(self, command: Command | None = None) -> Tick:
        """One control step; `command` (from a keyboard, a gamepad, a UI) overrides the operator's."""
        run = self._require_run()
        self._read_inbox(run)
        command = command if command is not None else self.operator.act(run.state)
        state = run.state = run.scene.step(command)
        if not run.sway or state.t - run.sway[-1][0] >= SWAY_PERIOD_S - 1e-9:
            run.sway.append((state.t, state.sway_deg))
        if state.step != run.steps[-1][1]:
            run.steps.append((state.t, state.step))
        frames = run.poses.poll(state.t) if run.poses is not None else []
        context = frame_context(state)
        cues: list[CoachEvent] = []
        ended: list[CoachEvent] = []
        reba = None
        for pose in frames:
            judged = run.coach.process(pose, context)
            run.output.emit(Kind.POSE, pose.t, pose.to_json())
            if judged.reba is not None:
                reba = judged.reba
                run.reba.append(int(judged.reba["reba"]))
            cues += judged.started
            ended += judged.ended
        self._send_events(run, cues, ended)
        if isinstance(self.operator, SignalOperator):
            self.operator.observe(cues, ended)
        snapshot = run.scene.snapshot()
        run.output.emit(Kind.STATE, state.t, snapshot, force=run.scene.done)  # viewers see the end
        tick = Tick(state.t, state, snapshot, command, frames, reba, cues, ended, run.scene.done)
        self._emit("tick", tick)
        return tick

    def apply_change(
        self,
        change: Mapping[str, Any],
        author: str | None = None,
        role: str | None = None,
        request_seq: int | None = None,
    ) -> dict[str, Any]:
        """Change the running scene now, as an instructor asks: {"action": "set_wind", "wind_mps",
        "gust_mps"?} or {"action": "inject_fault", "fault"}.

        The scene checks it against the spec and keeps it with its sim time in the attempt's result; a
        `session.control` event (what, when, asked by whom, accepted or refused and why) goes on the bus
        and into the recording either way. A refused change is then raised as the scene's UserError.
        """
        run = self._require_run()
        t = run.state.t
        try:
            applied = run.scene.apply_change(change)
        except UserError as exc:
            asked = {"t": round(t, 6), **requested_change(change)}
            self._control_event(run, control_event(asked, author, role, request_seq, exc.text))
            raise
        self._control_event(run, control_event(applied, author, role, request_seq))
        return applied

    def finish(self) -> Debrief:
        """Score the attempt (as it stands, if stopped early), store it, check the disk, debrief."""
        run, prepared = self._require_run(), self.prepared
        assert prepared is not None
        try:
            result = run.scene.result()
            result["operator"] = self.operator.name
            known = len(run.coach.events)
            closing = run.coach.finish(run.state.t)  # may also add findings, e.g. steps never reached
            self._send_events(run, run.coach.events[known:], closing)
            summary = summarise(run.coach.events, run.reba)
            outcome = {k: result[k] for k in ("passed", "score", "sub_scores", "critical", "deductions")}
            run.output.emit(Kind.EVENTS, run.state.t, outcome, type="session.end")
            run.output.close()
            privacy = self._privacy_check(prepared, run.output)
            recording = str(run.output.recording_path) if run.output.recording_path else None
            stored = store_link.complete(
                self.factory, self.space, prepared, result, summary, recording, _now()
            )
            next_plan = (
                store_link.preview_next(self.factory, self.space, self.learner, self.settings.generator_seed)
                if self.settings.preview_next
                else None
            )
        except BaseException:
            self._abort_quietly()
            raise
        finally:
            self._close_run()
        self.debrief = Debrief(
            session_id=prepared.session_id,
            attempt_id=stored.attempt_id,
            learner=self.learner,
            scenario=self.spec.id,
            station=self.settings.station,
            operator=self.operator.name,
            poses=run.poses.description if run.poses else Text(zh="无姿态输入", en="no pose input"),
            booking=prepared.booking.text,
            params=prepared.params,
            seed=prepared.seed,
            predicted_success=prepared.predicted_success,
            explanation=prepared.explanation,
            result=result,
            coach=summary,
            sway=run.sway,
            steps=run.steps,
            skills_before=stored.skills_before,
            skills_after=stored.skills_after,
            recording=recording,
            messages=dict(run.output.sent),
            privacy=privacy,
            next_plan=next_plan,
            wall_s=round(time.perf_counter() - run.started_wall, 3),
            skipped=[] if run.poses else [_NO_POSES],
            published=dict(run.output.published),
        )
        self._emit("finished", self.debrief)
        return self.debrief

    def abort(self, reason: Text) -> None:
        """Stop without scoring: the session is marked aborted and its attempt stays unfinished."""
        recording = None
        if self._run is not None:
            self._run.output.close()
            recording = str(self._run.output.recording_path) if self._run.output.recording_path else None
            self._close_run()
        if self.prepared is not None:
            store_link.abort(self.factory, self.prepared.session_id, recording, _now())
        self._emit("aborted", reason)

    def run(self, realtime: bool = False, max_s: float | None = None) -> Debrief:
        """Headless: the whole session; `realtime` paces steps at sim time, `max_s` caps sim time."""
        try:
            state = self.start()
            t0 = time.monotonic()
            while not self.done and (max_s is None or state.t < max_s - 1e-9):
                state = self.step().state
                if realtime and (delay := state.t - (time.monotonic() - t0)) > 0:
                    time.sleep(delay)
        except BaseException:
            self._abort_quietly()
            raise
        return self.finish()

    # --- helpers ---------------------------------------------------------------------------------

    def _abort_quietly(self) -> None:
        """Abort on the way out of an error, so that the original error is the one reported."""
        with contextlib.suppress(Exception):
            self.abort(Text(zh="运行中断", en="the run was interrupted"))

    def _read_inbox(self, run: _Run) -> None:
        """Apply this session's instructor requests; hand its comments to the listeners (the view)."""
        if self.inbox is None:
            return
        for message in self.inbox():
            envelope = message.envelope
            if envelope.session != run.output.session:
                continue  # the station's link also carries other sessions' messages
            if envelope.type != CONTROL_TYPE:
                self._emit("comment", message)
                continue
            body = envelope.body
            # A refused request is answered by its session.control event; the session runs on.
            with contextlib.suppress(UserError):
                self.apply_change(requested_change(body), body.get("author"), body.get("role"), envelope.seq)

    def _control_event(self, run: _Run, event: dict[str, Any]) -> None:
        run.output.emit(Kind.EVENTS, run.state.t, event, type=EVENT_TYPE)
        self._emit("control", event)

    def _send_events(self, run: _Run, started: list[CoachEvent], ended: list[CoachEvent]) -> None:
        for event in started:
            run.output.emit(Kind.EVENTS, event.detected_at, event.to_dict(), type="coach.cue")
        for event in ended:
            run.output.emit(Kind.EVENTS, event.end or event.onset, event.to_dict(), type="coach.end")

    def _privacy_check(self, prepared: PreparedAttempt, output: SessionOutput) -> dict[str, Any]:
        """Without clip consent (or with clip retention 0) no image or video may be on disk after a session.

        This runtime never writes pixels; the check proves it for the session's recording and clip
        folder, and deletes anything found there (reported, so a faulty component is noticed).
        """
        roots = [output.recording_path] if output.recording_path is not None else []
        if self.settings.clips_dir is not None:
            roots.append(files.clip_dir(self.settings.clips_dir, prepared.session_id))
        clips_allowed = prepared.clips_allowed and self.settings.clip_retention_days > 0
        found = [] if clips_allowed else find_media_files(roots)
        files.remove(found)
        return {
            "video_streamed": False,
            "streamed_off_station": output.off_station,
            "clips_allowed": clips_allowed,
            "media_files_removed": [str(p) for p in found],
        }

    def _require_run(self) -> _Run:
        if self._run is None:
            raise SessionError("会话尚未开始", "the session has not started")
        return self._run

    def _close_run(self) -> None:
        run, self._run = self._run, None
        if run is None:
            return
        run.scene.close()
        if run.poses is not None:
            run.poses.close()

    def _emit(self, kind: str, payload: Any) -> None:
        for listener in self.listeners:
            listener(kind, payload)


_NO_POSES = {"zh": "教练（无姿态输入）", "en": "coach (no pose input)"}


def _now() -> datetime:
    return datetime.now(UTC)
