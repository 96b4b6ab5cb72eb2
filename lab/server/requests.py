"""The lab server's request endpoint (ROUTER, CurveZMQ): who am I, what may I watch, comment, control.

Requests are msgpack maps `{"op": ..., ...}` from `lab.bus.requests.RequestClient`; the caller is
the connection's ZAP User-Id, never a field of the request. Access follows the relay's policy:
a user may list and comment on exactly the sessions whose topics they may subscribe to. A comment
becomes a `comment/<station>/<session>` message injected into the relay, so the station, every
authorised viewer and the recording get it; its author is the pseudonymous User-Id, not a name.
An instructor's `control` request (inject a fault, change the wind) travels the same way as a
`control` envelope; the station's runtime checks it against the scenario and applies it
(`station_app.runtime.control`), so the server only checks who may ask: EDIT on the learner's
difficulty in the permission matrix (the instructor of the learner's class).
With a `RecordingArchive` (lab.server.archive) it also serves finished sessions to people outside
the school network: `recordings` (what they may replay), `replay` (a bounded page of a time range),
and comments on a finished session, stored next to its recordings. Comments may carry a time range
(`start`, `end`: session seconds).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import msgpack
import zmq

from lab.auth.permissions import Action, Actor, Resource
from lab.auth.permissions import decide as decide_permission
from lab.bus.envelope import Envelope
from lab.bus.security import CurveKeys, CurveServer, KeyAuthenticator
from lab.bus.sockets import DEFAULT_LINK, LinkSettings
from lab.bus.text import Text, UserError
from lab.bus.topics import BadTopic, Kind, Topic, check_id, frame
from lab.recording.schemas import RECORDED_KINDS
from lab.server.access import AccessSource
from lab.server.archive import RecordingArchive
from lab.server.audit import COMMENT_ACTION, LiveAudit
from lab.server.policy import AccessFacts, Decision, Principal, SessionFacts, decide, may_comment
from lab.server.relay import utc_now

log = logging.getLogger("lab.server.requests")
MAX_COMMENT_CHARS = 2000
MAX_REQUEST_BYTES = 64 * 1024
CONTROL_ACTION = f"{Action.EDIT.value}:{Resource.DIFFICULTY.value}"
CONTROL_FIELDS = {"inject_fault": "fault", "set_wind": "wind_mps"}  # station_app.runtime.control


def _error(zh: str, en: str) -> dict[str, Any]:
    return {"ok": False, "error": {"zh": zh, "en": en}}


def _may_view(principal: Principal, kind: Kind, session: str, facts: AccessFacts, now: datetime) -> bool:
    topic = Topic(kind, facts.sessions[session].station, session)
    return decide(principal, principal.view_prefix + topic.prefix, facts, now).allow


class RequestServer:
    """Runs on its own thread; shares the relay's ZAP authenticator (one per ZeroMQ context)."""

    def __init__(
        self,
        ctx: zmq.Context,
        access: AccessSource,
        keys: CurveKeys,
        endpoint: str,
        authenticator: KeyAuthenticator | None,
        inject_endpoint: str,
        *,
        audit: LiveAudit | None = None,
        archive: RecordingArchive | None = None,
        clock: Callable[[], datetime] = utc_now,
        link: LinkSettings = DEFAULT_LINK,
    ) -> None:
        self.ctx, self.access, self.audit, self.clock, self.link = ctx, access, audit, clock, link
        self.archive = archive  # recordings and the store, for replay and comments after the end
        self._server, self._authenticator = CurveServer(keys), authenticator
        self._requested_endpoint, self.endpoint = endpoint, endpoint
        self._inject_endpoint = inject_endpoint
        self._seq: dict[Topic, int] = {}
        self._stop, self._ready = threading.Event(), threading.Event()
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="lab-requests", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        try:
            router = self.ctx.socket(zmq.ROUTER)
            self.link.apply(router)
            router.linger = 0
            router.maxmsgsize = MAX_REQUEST_BYTES
            self._server.apply(router, self._authenticator)  # refuses without a running authenticator
            router.bind(self._requested_endpoint)
            self.endpoint = router.last_endpoint.decode()
            self._inject = self.ctx.socket(zmq.PUSH)
            self._inject.linger = 0
            self._inject.connect(self._inject_endpoint)
        except BaseException as exc:  # reported to start()'s caller
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            while not self._stop.is_set():
                if not router.poll(100):
                    continue
                frames = router.recv_multipart(copy=False)
                payload = frames[-1]
                try:
                    zap_id = payload.get("User-Id")
                except zmq.ZMQError:
                    zap_id = None
                principal = self.access.principal(zap_id) if zap_id else None
                reply = self.handle(principal, payload.bytes)
                router.send_multipart(
                    [f.bytes for f in frames[:-1]] + [msgpack.packb(reply, use_bin_type=True)]
                )
        finally:
            router.close()
            self._inject.close()

    def handle(self, principal: Principal | None, data: bytes) -> dict[str, Any]:
        """One request from `principal` (None: key no longer valid) to its reply; never raises."""
        if principal is None:
            return _error("身份无效或已停用", "unknown or disabled identity")
        try:
            request = msgpack.unpackb(data, raw=False)
        except Exception:  # every undecodable request gets the same answer
            request = None
        if not isinstance(request, dict) or not isinstance(request.get("op"), str):
            return _error("请求格式错误", "malformed request")
        handler = {
            "whoami": self._whoami,
            "sessions": self._sessions,
            "comment": self._comment,
            "control": self._control,
            "recordings": self._recordings,
            "replay": self._replay,
        }.get(request["op"])
        if handler is None:
            return _error(f"未知操作：{request['op'][:40]}", f"unknown operation: {request['op'][:40]}")
        try:
            return handler(principal, request)
        except UserError as exc:
            return _error(exc.text.zh, exc.text.en)
        except Exception:  # e.g. the store is away: this request fails, the endpoint keeps serving
            log.exception("requests: %s failed", request["op"][:40])
            return _error("服务器内部错误，请稍后再试", "internal error on the lab server; try again later")

    def _whoami(self, principal: Principal, _request: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "user": principal.zap_id, "role": principal.role, "prefix": principal.view_prefix}

    def _sessions(self, principal: Principal, _request: dict[str, Any]) -> dict[str, Any]:
        """Live sessions this user may watch now, and whether video is available for each."""
        now = self.clock()
        facts = self.access.facts(now)
        visible = [
            {
                "station": facts.sessions[session].station,
                "session": session,
                "video": _may_view(principal, Kind.VIDEO, session, facts, now),
            }
            for session in facts.sessions
            if _may_view(principal, Kind.POSE, session, facts, now)
        ]
        return {"ok": True, "sessions": visible}

    def _live_session(self, request: dict[str, Any]) -> tuple[str, str, SessionFacts, datetime]:
        """The request's station and session, which must be live now (UserError otherwise)."""
        station, session = _ids(request)
        now = self.clock()
        facts = self.access.facts(now).sessions.get(session)
        if facts is None or facts.station != station:
            raise UserError("没有这个进行中的会话", "no such live session")
        return station, session, facts, now

    def _next_seq(self, topic: Topic) -> int:
        # starts from the clock, so a restarted server never repeats a seq a viewer has seen
        seq = self._seq.get(topic, time.time_ns() // 1_000_000) + 1
        self._seq[topic] = seq
        return seq

    def _inject_to_station(
        self, principal: Principal, station: str, session: str, type_: str, body: dict[str, Any]
    ) -> int:
        """Send one envelope on the session's comment topic, authored by the caller; its seq."""
        topic = Topic(Kind.COMMENT, station, session)
        seq = self._next_seq(topic)
        envelope = Envelope(
            type=type_,
            station=station,
            session=session,
            seq=seq,
            body={**body, "author": principal.zap_id, "role": principal.role},
        )
        self._inject.send(frame(topic, envelope.encode()))
        return seq

    def _comment(self, principal: Principal, request: dict[str, Any]) -> dict[str, Any]:
        """A comment on a live session goes to the station, its viewers and the recording; on a
        finished one (replayed), it is stored next to the session's recordings."""
        text = request.get("text")
        if not isinstance(text, str) or not 0 < len(text.strip()) <= MAX_COMMENT_CHARS:
            return _error(
                f"评论须为 1–{MAX_COMMENT_CHARS} 个字符",
                f"a comment must have 1-{MAX_COMMENT_CHARS} characters",
            )
        body: dict[str, Any] = {"text": text, **_time_range(request)}
        station, session = _ids(request)
        now = self.clock()
        facts = self.access.facts(now).sessions.get(session)
        finished = None
        if facts is None and self.archive is not None:
            finished = self.archive.finished_subject(session, now)
            facts = SessionFacts(*finished) if finished is not None else None
        if facts is None or facts.station != station:
            if self.archive is None:
                return _error("没有这个进行中的会话", "no such live session")
            return _error("没有这个会话（进行中或已结束）", "no such session, live or finished")
        decision = may_comment(principal, facts, now)
        if not decision:
            why = decision.text or Text(zh="无权评论此会话", en="not allowed to comment on this session")
            return _error(why.zh, why.en)
        if finished is None:
            seq = self._inject_to_station(principal, station, session, "comment", body)
        else:
            assert self.archive is not None
            seq = self._next_seq(Topic(Kind.COMMENT, station, session))
            body = {**body, "author": principal.zap_id, "role": principal.role}
            self.archive.add_comment(Envelope("comment", station, session, seq, body))
        if self.audit is not None:
            self.audit.record(principal, COMMENT_ACTION, session, {"station": station, "seq": seq})
        return {"ok": True, "seq": seq}

    def _recordings(self, principal: Principal, _request: dict[str, Any]) -> dict[str, Any]:
        """Finished sessions this user may replay (the matrix: VIEW on the learner's history)."""
        return {"ok": True, "sessions": self._require_archive().recorded(_actor(principal), self.clock())}

    def _replay(self, principal: Principal, request: dict[str, Any]) -> dict[str, Any]:
        """One bounded page of a finished session's recording in [start, end) (Unix s), audited."""
        session = request.get("session")
        try:
            check_id(session, "session")
        except BadTopic as exc:
            raise UserError(exc.text.zh, exc.text.en) from None
        start, end = _number(request, "start"), _number(request, "end")
        if start is not None and end is not None and end <= start:
            raise UserError("end 须晚于 start", "end must be after start")
        skip = request.get("skip", 0)
        if not isinstance(skip, int) or isinstance(skip, bool) or not 0 <= skip <= 1_000_000:
            raise UserError("skip 须为非负整数", "skip must be a non-negative integer")
        kinds = request.get("kinds")
        known = {k.value for k in RECORDED_KINDS}
        if kinds is not None and (
            not isinstance(kinds, list)
            or not kinds
            or not all(isinstance(k, str) and k in known for k in kinds)
        ):
            raise UserError(f"kinds 须取自 {sorted(known)}", f"kinds must be taken from {sorted(known)}")
        page = self._require_archive().page(
            _actor(principal),
            session,
            self.clock(),
            start,
            end,
            [Kind(k) for k in kinds] if kinds else None,
            skip,
        )
        return {"ok": True, **page}

    def _require_archive(self) -> RecordingArchive:
        if self.archive is None:
            raise UserError("此实验室服务器不提供录制", "this lab server serves no recordings")
        return self.archive

    def _control(self, principal: Principal, request: dict[str, Any]) -> dict[str, Any]:
        """Pass an instructor's change (fault, wind) to the running station, if the caller may make it."""
        action = request.get("action")
        field = CONTROL_FIELDS.get(action) if isinstance(action, str) else None
        value = request.get(field) if field is not None else None
        valid = (field == "fault" and isinstance(value, str) and 0 < len(value) <= 64) or (
            field == "wind_mps" and isinstance(value, int | float) and not isinstance(value, bool)
        )
        if not valid:
            return _error(
                "控制请求须为 inject_fault（fault）或 set_wind（wind_mps）",
                "a control request is inject_fault (with fault) or set_wind (with wind_mps)",
            )
        station, session, facts, now = self._live_session(request)
        decision = _may_control(principal, facts, now)
        detail: dict[str, Any] = {"station": station, "action": action, field: value}
        if not decision:
            if self.audit is not None:
                self.audit.record(principal, f"denied:{CONTROL_ACTION}", session, detail)
            why = decision.text or Text(zh="无权调整此会话", en="not allowed to change this session")
            return _error(why.zh, why.en)
        change = {"action": action, field: value}
        gust = request.get("gust_mps")
        if field == "wind_mps" and isinstance(gust, int | float) and not isinstance(gust, bool):
            change["gust_mps"] = gust
        seq = self._inject_to_station(principal, station, session, "control", change)
        if self.audit is not None:
            self.audit.record(principal, CONTROL_ACTION, session, {**detail, "seq": seq})
        return {"ok": True, "seq": seq}


def _may_control(principal: Principal, session: SessionFacts, now: datetime) -> Decision:
    """Changing a running attempt is EDIT on the learner's difficulty in the matrix."""
    actor = principal.actor
    if actor is None:
        return Decision(False, "no_actor")
    decision = decide_permission(actor, Action.EDIT, Resource.DIFFICULTY, session.subject, now)
    return Decision(decision.allowed, "allowed" if decision.allowed else "denied", decision.reason)


def _ids(request: dict[str, Any]) -> tuple[str, str]:
    station, session = request.get("station"), request.get("session")
    try:
        return check_id(station, "station"), check_id(session, "session")
    except BadTopic as exc:
        raise UserError(exc.text.zh, exc.text.en) from None


def _actor(principal: Principal) -> Actor:
    actor = principal.actor
    if actor is None:
        raise UserError("只有用户可以查看录制", "only people can view recordings")
    return actor


def _number(request: dict[str, Any], name: str) -> float | None:
    value = request.get(name)
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value) or value < 0:
        raise UserError(f"{name} 须为非负数", f"{name} must be a non-negative number")
    return float(value)


def _time_range(request: dict[str, Any]) -> dict[str, float]:
    """A comment's optional time range in session seconds: {start, end}, both or neither."""
    start, end = _number(request, "start"), _number(request, "end")
    if start is None and end is None:
        return {}
    if start is None or end is None or end < start:
        raise UserError(
            "时间段须同时给出 start 和 end，且 end 不早于 start",
            "a time range needs start and end, end not before start",
        )
    return {"start": start, "end": end}
