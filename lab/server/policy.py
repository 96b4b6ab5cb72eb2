"""Who may receive which live topic, publish it, or comment: pure functions over plain facts.

The rights themselves are the project's one permission matrix (`lab.auth.permissions`, RBAC table
in shared/reference/bus_booking_privacy.md §3.3): this module only maps the transport onto it.
The relay asks `decide(principal, subscription, facts, now)` for every subscription when it arrives
and again on every refresh, so an invitation that expires or is withdrawn, or a withdrawn video
consent, stops the stream.

A subscription is `@<user id>/` (the viewer's own prefix, which the relay puts in front of what
it forwards to that user) followed by either an exact topic prefix `kind/station/session ` or a
partial one `kind/` or `kind/station/`. Session data (pose, state, events, video, comments) needs
an exact topic, so every subscription names the one session it is decided for; heartbeats (device
health, no personal data) may be subscribed lab-wide. Stations are not people: each may only
publish under its own id and subscribe to the comments addressed to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from lab.auth.permissions import Action, Actor, Resource, Subject, decide_topic
from lab.auth.permissions import Decision as MatrixDecision
from lab.auth.permissions import decide as decide_permission
from lab.bus.text import Text
from lab.bus.topics import SEPARATOR, BadTopic, Kind, Topic, check_id, view_prefix
from lab.store.models import Role

STATION_ROLE = "station"


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated peer: its ZAP User-Id, its role, and who it is (a user, or a station)."""

    zap_id: str
    role: str  # a lab.store.models.Role value, or "station"
    user_id: int | None = None
    login: str | None = None
    station: str | None = None

    @property
    def view_prefix(self) -> bytes:
        return view_prefix(self.zap_id)

    @property
    def actor(self) -> Actor | None:
        """The person, for the permission matrix (None for a station)."""
        if self.role == STATION_ROLE or self.user_id is None:
            return None
        return Actor(user_id=self.user_id, login=self.login or "", role=Role(self.role))


@dataclass(frozen=True, slots=True)
class SessionFacts:
    """A live session: where it runs, and whose data it is (consent, class, invitations)."""

    station: str
    subject: Subject


@dataclass(frozen=True, slots=True)
class AccessFacts:
    """Everything a decision needs, loaded from the store (or built by a test)."""

    sessions: Mapping[str, SessionFacts] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Decision:
    allow: bool
    reason: str  # a code for counters and logs; never personal data
    text: Text | None = None  # the matrix's explanation, for replies to the user

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
    if principal.role == STATION_ROLE:
        ok = sub.kind is Kind.COMMENT and sub.station is not None and sub.station == principal.station
        return Decision(ok, "own_comments" if ok else "station_scope")
    actor = principal.actor
    if actor is None:
        return Decision(False, "no_actor")
    if sub.kind is Kind.HEARTBEAT:
        return _from_matrix(decide_topic(actor, Kind.HEARTBEAT, None, now))
    if not sub.exact:
        return Decision(False, "session_data_needs_exact_topic")
    session = facts.sessions.get(sub.session or "")
    if session is None or session.station != sub.station:
        return Decision(False, "unknown_session")
    return _from_matrix(decide_topic(actor, sub.kind, session.subject, now))


def next_change(facts: AccessFacts, now: datetime) -> datetime | None:
    """The first moment after `now` at which a decision over `facts` can change with time alone.

    Time enters the matrix only through invitation windows (`Invitation.in_force`: valid_from,
    valid_until, revoked_at); consents and sessions change only as new facts. So a relay may keep
    its decisions until the facts change or this moment passes.
    """
    moments = (
        moment
        for session in facts.sessions.values()
        for invitation in session.subject.invitations
        for moment in (invitation.valid_from, invitation.valid_until, invitation.revoked_at)
        if moment is not None and moment > now
    )
    return min(moments, default=None)


def may_comment(principal: Principal, session: SessionFacts, now: datetime) -> Decision:
    """Writing a comment on a session is EDIT on its comments in the matrix (mentors invited, instructors)."""
    actor = principal.actor
    if actor is None:
        return Decision(False, "no_actor")
    return _from_matrix(decide_permission(actor, Action.EDIT, Resource.COMMENTS, session.subject, now))


def may_publish(principal: Principal, topic: Topic) -> bool:
    """Stations publish only under their own station id (no station can speak for another), and
    never comments: those are authored through the request endpoint."""
    return (
        principal.role == STATION_ROLE
        and principal.station == topic.station
        and topic.kind is not Kind.COMMENT
    )


def _from_matrix(decision: MatrixDecision) -> Decision:
    code = "allowed" if decision.allowed else f"denied_{decision.scope.value}"
    return Decision(decision.allowed, code, decision.reason)
