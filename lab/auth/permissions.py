"""The permission matrix: who may do what to which data, decided in this one place.

Role × action × resource gives a *scope* (nobody, the learner themselves, the instructor of the
learner's class, a mentor with an invitation in force, everybody); the facts about the data being
touched (whose it is, which session, which consents and invitations are in force) decide whether
the scope is met. Pure: no I/O, no clock — the caller passes `now`. The store-access layer
(`lab.auth.access`), the lab server and the apps all call `decide`.

Roles and their rights follow shared/reference/bus_booking_privacy.md §3.3 "Roles (RBAC)":
- student: own live view, own history, own clips (view, export, delete), own consents;
- instructor: learners of their own classes — live, history, clips, comments, difficulty,
  consents recorded on paper, mentor invitations;
- mentor (external): only sessions/learners they are invited to, only during the invitation;
  keypoints by default, video only when the invitation allows it AND live-video consent is in
  force; may comment; never exports;
- admin (lab admin): equipment and bookings, accounts and roles, learner records (including
  export/deletion requests), consents, retention and purge; no learner video, no history view;
- auditor (DPO): audit log, consent records, accounts, retention reports; no live view.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from lab.bus.text import Text
from lab.bus.topics import Kind
from lab.store.models import Role


class Action(enum.StrEnum):
    VIEW = "view"
    EXPORT = "export"
    DELETE = "delete"
    EDIT = "edit"  # create or change (a comment, a consent record, a role, a booking, ...)


class Resource(enum.StrEnum):
    LIVE_POSE = "live_pose"  # live keypoints, sim state and coach events (tier T2, live)
    LIVE_VIDEO = "live_video"  # live camera frames (tier T0)
    HISTORY = "history"  # attempts, sessions, keypoint recordings and their replay (T2/T3)
    CLIPS = "clips"  # stored video clips (T1)
    COMMENTS = "comments"  # mentor/instructor comments on a session
    LEARNER_RECORD = "learner_record"  # the learner as a whole: profile, and its export/deletion
    CONSENT = "consent"  # consent records
    DIFFICULTY = "difficulty"  # instructor overrides and assignments
    INVITATIONS = "invitations"  # mentor invitations
    EQUIPMENT = "equipment"  # stations, rigs, bookings, blackouts, device health
    ACCOUNTS = "accounts"  # users and roles (changing them is a permission change)
    AUDIT_LOG = "audit_log"
    RETENTION = "retention"  # retention report (view) and purge (delete)


class Scope(enum.StrEnum):
    NOBODY = "nobody"
    OWN = "own"  # the learner themselves
    CLASS = "class"  # the instructor of the learner's class
    INVITED = "invited"  # a mentor with an invitation in force for this session or learner
    ALL = "all"


# Resources that are about one learner: touching them needs a Subject, and is audited.
PERSONAL: frozenset[Resource] = frozenset(
    {
        Resource.LIVE_POSE,
        Resource.LIVE_VIDEO,
        Resource.HISTORY,
        Resource.CLIPS,
        Resource.COMMENTS,
        Resource.LEARNER_RECORD,
        Resource.CONSENT,
        Resource.DIFFICULTY,
        Resource.INVITATIONS,
    }
)

_V, _X, _D, _E = Action.VIEW, Action.EXPORT, Action.DELETE, Action.EDIT
R = Resource

# The matrix. A (role, action, resource) not listed is Scope.NOBODY.
MATRIX: dict[tuple[Role, Action, Resource], Scope] = {
    # student
    (Role.STUDENT, _V, R.LIVE_POSE): Scope.OWN,
    (Role.STUDENT, _V, R.LIVE_VIDEO): Scope.OWN,
    (Role.STUDENT, _V, R.HISTORY): Scope.OWN,
    (Role.STUDENT, _X, R.HISTORY): Scope.OWN,
    (Role.STUDENT, _V, R.CLIPS): Scope.OWN,
    (Role.STUDENT, _X, R.CLIPS): Scope.OWN,
    (Role.STUDENT, _D, R.CLIPS): Scope.OWN,
    (Role.STUDENT, _V, R.COMMENTS): Scope.OWN,
    (Role.STUDENT, _V, R.LEARNER_RECORD): Scope.OWN,
    (Role.STUDENT, _X, R.LEARNER_RECORD): Scope.OWN,
    (Role.STUDENT, _V, R.CONSENT): Scope.OWN,
    (Role.STUDENT, _E, R.CONSENT): Scope.OWN,
    # instructor
    (Role.INSTRUCTOR, _V, R.LIVE_POSE): Scope.CLASS,
    (Role.INSTRUCTOR, _V, R.LIVE_VIDEO): Scope.CLASS,
    (Role.INSTRUCTOR, _V, R.HISTORY): Scope.CLASS,
    (Role.INSTRUCTOR, _X, R.HISTORY): Scope.CLASS,
    (Role.INSTRUCTOR, _V, R.CLIPS): Scope.CLASS,
    (Role.INSTRUCTOR, _D, R.CLIPS): Scope.CLASS,
    (Role.INSTRUCTOR, _V, R.COMMENTS): Scope.CLASS,
    (Role.INSTRUCTOR, _E, R.COMMENTS): Scope.CLASS,
    (Role.INSTRUCTOR, _V, R.LEARNER_RECORD): Scope.CLASS,
    (Role.INSTRUCTOR, _X, R.LEARNER_RECORD): Scope.CLASS,
    (Role.INSTRUCTOR, _V, R.CONSENT): Scope.CLASS,
    (Role.INSTRUCTOR, _E, R.CONSENT): Scope.CLASS,
    (Role.INSTRUCTOR, _V, R.DIFFICULTY): Scope.CLASS,
    (Role.INSTRUCTOR, _E, R.DIFFICULTY): Scope.CLASS,
    (Role.INSTRUCTOR, _V, R.INVITATIONS): Scope.CLASS,
    (Role.INSTRUCTOR, _E, R.INVITATIONS): Scope.CLASS,
    (Role.INSTRUCTOR, _D, R.INVITATIONS): Scope.CLASS,
    (Role.INSTRUCTOR, _V, R.EQUIPMENT): Scope.ALL,
    # mentor
    (Role.MENTOR, _V, R.LIVE_POSE): Scope.INVITED,
    (Role.MENTOR, _V, R.LIVE_VIDEO): Scope.INVITED,
    (Role.MENTOR, _V, R.HISTORY): Scope.INVITED,
    (Role.MENTOR, _V, R.COMMENTS): Scope.INVITED,
    (Role.MENTOR, _E, R.COMMENTS): Scope.INVITED,
    # admin
    (Role.ADMIN, _D, R.CLIPS): Scope.ALL,
    (Role.ADMIN, _V, R.LEARNER_RECORD): Scope.ALL,
    (Role.ADMIN, _X, R.LEARNER_RECORD): Scope.ALL,
    (Role.ADMIN, _D, R.LEARNER_RECORD): Scope.ALL,
    (Role.ADMIN, _E, R.LEARNER_RECORD): Scope.ALL,
    (Role.ADMIN, _V, R.CONSENT): Scope.ALL,
    (Role.ADMIN, _E, R.CONSENT): Scope.ALL,
    (Role.ADMIN, _V, R.INVITATIONS): Scope.ALL,
    (Role.ADMIN, _E, R.INVITATIONS): Scope.ALL,
    (Role.ADMIN, _D, R.INVITATIONS): Scope.ALL,
    (Role.ADMIN, _V, R.EQUIPMENT): Scope.ALL,
    (Role.ADMIN, _X, R.EQUIPMENT): Scope.ALL,
    (Role.ADMIN, _E, R.EQUIPMENT): Scope.ALL,
    (Role.ADMIN, _D, R.EQUIPMENT): Scope.ALL,
    (Role.ADMIN, _V, R.ACCOUNTS): Scope.ALL,
    (Role.ADMIN, _E, R.ACCOUNTS): Scope.ALL,
    (Role.ADMIN, _D, R.ACCOUNTS): Scope.ALL,
    (Role.ADMIN, _V, R.RETENTION): Scope.ALL,
    (Role.ADMIN, _D, R.RETENTION): Scope.ALL,
    # auditor
    (Role.AUDITOR, _V, R.CONSENT): Scope.ALL,
    (Role.AUDITOR, _X, R.CONSENT): Scope.ALL,
    (Role.AUDITOR, _V, R.ACCOUNTS): Scope.ALL,
    (Role.AUDITOR, _V, R.AUDIT_LOG): Scope.ALL,
    (Role.AUDITOR, _X, R.AUDIT_LOG): Scope.ALL,
    (Role.AUDITOR, _V, R.RETENTION): Scope.ALL,
}


@dataclass(frozen=True, slots=True)
class Actor:
    """An authenticated person."""

    user_id: int
    login: str
    role: Role

    @property
    def audit_name(self) -> str:
        return f"{self.role.value}:{self.login}"


@dataclass(frozen=True, slots=True)
class Invitation:
    """A mentor invitation, as facts (mirrors `lab.store.models.MentorInvitation`)."""

    mentor_id: int
    valid_from: datetime
    valid_until: datetime
    session_id: str | None = None
    learner_id: int | None = None
    may_view_video: bool = False
    revoked_at: datetime | None = None

    def in_force(self, now: datetime) -> bool:
        """Half-open window [valid_from, valid_until), unless revoked before `now`."""
        revoked = self.revoked_at is not None and self.revoked_at <= now
        return self.valid_from <= now < self.valid_until and not revoked

    def covers(self, subject: Subject) -> bool:
        if self.session_id is not None:
            return self.session_id == subject.session_id
        return self.learner_id is not None and self.learner_id == subject.learner_id


@dataclass(frozen=True, slots=True)
class Subject:
    """Whose personal data is touched, and the facts that decide scope.

    `session_id` is set when the data belongs to one session (a live stream, a replay).
    `live_video_consent` is whether the learner's (or guardian's) live-video consent is in force now.
    """

    learner_id: int
    learner_user_id: int | None = None
    class_instructor_id: int | None = None
    session_id: str | None = None
    live_video_consent: bool = False
    invitations: tuple[Invitation, ...] = ()


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    scope: Scope
    reason: Text

    def __bool__(self) -> bool:
        return self.allowed


def scope_of(role: Role, action: Action, resource: Resource) -> Scope:
    return MATRIX.get((role, action, resource), Scope.NOBODY)


def decide(
    actor: Actor, action: Action, resource: Resource, subject: Subject | None, now: datetime
) -> Decision:
    """May `actor` do `action` on `resource` of `subject` at `now`? With the reason why (not)."""
    scope = scope_of(actor.role, action, resource)
    if scope is Scope.NOBODY:
        return _deny(
            scope,
            f"角色 {actor.role.value} 无权对 {resource.value} 执行 {action.value}",
            f"role {actor.role.value} may not {action.value} {resource.value}",
        )
    if resource in PERSONAL and subject is None:
        raise ValueError(f"{resource.value} is personal data: decide() needs the Subject")
    if scope is not Scope.ALL:
        assert subject is not None
        if not _in_scope(actor, scope, subject, now):
            return _deny(scope, *_OUT_OF_SCOPE[scope])
    if resource is Resource.LIVE_VIDEO and actor.role is not Role.STUDENT:
        assert subject is not None
        video = _video_problem(actor, subject, now)
        if video is not None:
            return _deny(scope, *video)
    return Decision(True, scope, Text(zh="允许", en="allowed"))


# What receiving a live topic of each kind means in the matrix (the relay asks per subscription).
TOPIC_RESOURCES: dict[Kind, Resource] = {
    Kind.POSE: Resource.LIVE_POSE,
    Kind.STATE: Resource.LIVE_POSE,
    Kind.EVENTS: Resource.LIVE_POSE,
    Kind.VIDEO: Resource.LIVE_VIDEO,
    Kind.COMMENT: Resource.COMMENTS,
    Kind.HEARTBEAT: Resource.EQUIPMENT,
}


def decide_topic(actor: Actor, kind: Kind, subject: Subject | None, now: datetime) -> Decision:
    """May `actor` receive live topics of `kind` about `subject` (None for heartbeats) at `now`?"""
    return decide(actor, Action.VIEW, TOPIC_RESOURCES[kind], subject, now)


def active_invitations(actor: Actor, subject: Subject, now: datetime) -> Iterable[Invitation]:
    return (
        i
        for i in subject.invitations
        if i.mentor_id == actor.user_id and i.in_force(now) and i.covers(subject)
    )


def _in_scope(actor: Actor, scope: Scope, subject: Subject, now: datetime) -> bool:
    if scope is Scope.OWN:
        return subject.learner_user_id is not None and subject.learner_user_id == actor.user_id
    if scope is Scope.CLASS:
        return subject.class_instructor_id is not None and subject.class_instructor_id == actor.user_id
    if scope is Scope.INVITED:
        return any(active_invitations(actor, subject, now))
    return False


def _video_problem(actor: Actor, subject: Subject, now: datetime) -> tuple[str, str] | None:
    """Live video to anyone but the learner needs consent; a mentor also needs a video invitation."""
    if not subject.live_video_consent:
        return (
            "该学员未同意直播视频（仅可查看骨架关键点）",
            "no live-video consent for this learner (keypoints only)",
        )
    if actor.role is Role.MENTOR and not any(
        i.may_view_video for i in active_invitations(actor, subject, now)
    ):
        return (
            "该邀请不包含视频（仅可查看骨架关键点）",
            "the invitation does not include video (keypoints only)",
        )
    return None


_OUT_OF_SCOPE: dict[Scope, tuple[str, str]] = {
    Scope.OWN: ("只能访问本人的数据", "only the learner's own data"),
    Scope.CLASS: ("只能访问本人所带班级学员的数据", "only learners of the instructor's own classes"),
    Scope.INVITED: (
        "没有有效的邀请（或邀请已过期、已撤销）",
        "no invitation in force (missing, expired or revoked)",
    ),
}


def _deny(scope: Scope, zh: str, en: str) -> Decision:
    return Decision(False, scope, Text(zh=zh, en=en))
