"""Who may see which live topic, and who may publish it: pure functions over plain facts.

The relay asks `decide(principal, subscription, facts, now)` for every subscription when it arrives
and again on every refresh, so an invitation that expires or is withdrawn, or a withdrawn video
consent, stops the stream (RBAC table, shared/reference/bus_booking_privacy.md §3.3):

| role       | may subscribe to                                                                  |
|------------|-----------------------------------------------------------------------------------|
| mentor     | exact topics of sessions an active invitation covers; video only if the invitation |
|            | allows it AND the learner's live-video consent is in force                        |
| instructor | exact topics of sessions of learners in their classes (video: consent), and every  |
|            | station's heartbeats                                                              |
| admin      | heartbeats only (device health; no learner data)                                  |
| station    | comments addressed to itself                                                      |
| others     | nothing (students see themselves on the station; auditors read the audit log)     |

A subscription is `@<user id>/` (the viewer's own prefix, which the relay puts in front of what
it forwards to that user) followed by either an exact topic prefix `kind/station/session ` or a
partial one `kind/` or `kind/station/`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from lab.bus.topics import SEPARATOR, BadTopic, Kind, Topic, check_id

SESSION_KINDS = (Kind.POSE, Kind.STATE, Kind.EVENTS, Kind.COMMENT, Kind.VIDEO)


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated peer: its ZAP User-Id, role, and (for stations) the station it is."""

    zap_id: str
    role: str  # "student" | "instructor" | "mentor" | "admin" | "auditor" | "station"
    user_id: int | None = None
    station: str | None = None

    @property
    def view_prefix(self) -> bytes:
        return f"@{self.zap_id}/".encode()


@dataclass(frozen=True, slots=True)
class Invitation:
    """A mentor invitation over [valid_from, valid_until) for one session or for one learner."""

    mentor_id: int
    valid_from: datetime
    valid_until: datetime
    session: str | None = None
    learner_id: int | None = None
    may_view_video: bool = False
    revoked_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        revoked = self.revoked_at is not None and self.revoked_at <= now
        return self.valid_from <= now < self.valid_until and not revoked


@dataclass(frozen=True, slots=True)
class SessionFacts:
    session: str
    station: str
    learner_id: int
    video_consent: bool = False  # live-video consent in force now
    instructor_ids: frozenset[int] = frozenset()  # instructors of the learner's class


@dataclass(frozen=True, slots=True)
class AccessFacts:
    """Everything a decision needs, loaded from the store (or built by a test)."""

    sessions: Mapping[str, SessionFacts] = field(default_factory=dict)
    invitations: tuple[Invitation, ...] = ()
    _index: Mapping[tuple[int, str, object], tuple[Invitation, ...]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        # decide() runs for every subscription on every refresh: look invitations up, don't scan them
        index: dict[tuple[int, str, object], list[Invitation]] = {}
        for invitation in self.invitations:
            scope = (
                ("session", invitation.session)
                if invitation.session is not None
                else ("learner", invitation.learner_id)
            )
            index.setdefault((invitation.mentor_id, *scope), []).append(invitation)
        object.__setattr__(self, "_index", {k: tuple(v) for k, v in index.items()})

    def invitations_for(self, mentor_id: int, session: SessionFacts) -> tuple[Invitation, ...]:
        """The mentor's invitations that cover `session` (by session id or by its learner)."""
        return self._index.get((mentor_id, "session", session.session), ()) + self._index.get(
            (mentor_id, "learner", session.learner_id), ()
        )


@dataclass(frozen=True, slots=True)
class Decision:
    allow: bool
    reason: str  # a code for counters and logs; never personal data

    def __bool__(self) -> bool:
        return self.allow


@dataclass(frozen=True, slots=True)
class Subscription:
    """A parsed subscription: kind, and optionally station and session (None = any)."""

    kind: Kind
    station: str | None = None
    session: str | None = None

    @property
    def exact(self) -> bool:
        return self.session is not None

    @property
    def wire(self) -> bytes:
        """The upstream prefix this subscription matches (without the viewer prefix)."""
        if self.session is not None:
            return Topic(self.kind, self.station or "", self.session).prefix
        return f"{self.kind.value}/{self.station + '/' if self.station else ''}".encode()


def parse_subscription(principal: Principal, requested: bytes) -> Subscription | None:
    """The subscription behind `@<own id>/...`, or None if it is not the principal's own or malformed."""
    own = principal.view_prefix
    if not requested.startswith(own):
        return None
    rest = requested[len(own) :]
    try:
        text = rest.decode("ascii")
        if rest.endswith(SEPARATOR):
            topic = Topic.parse(text[: -len(SEPARATOR)])
            return Subscription(topic.kind, topic.station, topic.session)
        parts = text.split("/")
        if len(parts) == 2 and parts[1] == "" and parts[0] in Kind._value2member_map_:
            return Subscription(Kind(parts[0]))
        if len(parts) == 3 and parts[2] == "" and parts[0] in Kind._value2member_map_:
            return Subscription(Kind(parts[0]), check_id(parts[1], "station"))
    except (UnicodeDecodeError, BadTopic):
        return None
    return None


def decide(principal: Principal, requested: bytes, facts: AccessFacts, now: datetime) -> Decision:
    """May `principal` receive what `requested` matches, at `now`?"""
    sub = parse_subscription(principal, requested)
    if sub is None:
        return Decision(False, "not_own_prefix_or_malformed")
    if principal.role == "station":
        ok = sub.kind is Kind.COMMENT and sub.station is not None and sub.station == principal.station
        return Decision(ok, "own_comments" if ok else "station_scope")
    if sub.kind is Kind.HEARTBEAT:
        ok = principal.role in ("admin", "instructor")
        return Decision(ok, "device_health" if ok else "role")
    if principal.role not in ("mentor", "instructor"):
        return Decision(False, "role")
    if not sub.exact:
        return Decision(False, "session_data_needs_exact_topic")
    session = facts.sessions.get(sub.session or "")
    if session is None or session.station != sub.station:
        return Decision(False, "unknown_session")
    if principal.role == "instructor":
        if principal.user_id not in session.instructor_ids:
            return Decision(False, "not_their_class")
        if sub.kind is Kind.VIDEO and not session.video_consent:
            return Decision(False, "no_video_consent")
        return Decision(True, "instructor")
    own = facts.invitations_for(principal.user_id, session) if principal.user_id is not None else ()
    invitations = [i for i in own if i.active(now)]
    if not invitations:
        return Decision(False, "no_active_invitation")
    if sub.kind is Kind.VIDEO:
        if not any(i.may_view_video for i in invitations):
            return Decision(False, "invitation_without_video")
        if not session.video_consent:
            return Decision(False, "no_video_consent")
    return Decision(True, "invited")


def may_publish(principal: Principal, topic: Topic) -> bool:
    """Stations publish only under their own station id (no station can speak for another), and
    never comments: those are authored through the request endpoint."""
    return (
        principal.role == "station" and principal.station == topic.station and topic.kind is not Kind.COMMENT
    )
