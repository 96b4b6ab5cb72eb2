"""The tables of the store (DESIGN.md "Storage"), as SQLAlchemy 2 typed declarative models.

Conventions:
- Every instant is a timezone-aware UTC datetime (`UTCDateTime`); naive datetimes are refused.
- Structured payloads (parameters, metrics, explanations, capabilities) are JSON columns.
- Enumerations are stored as their string values with a CHECK constraint (no native PostgreSQL
  enum types, so adding a value later is a one-line migration on both databases).
- Learner data is pseudonymous: a learner is a code; names live only on the linked user account,
  so keypoints, attempts and sessions never carry a name (shared/reference/bus_booking_privacy.md §3.3).
- Deleting a learner deletes their attempts, sessions, consents, invitations, overrides and
  assignments (PIPL Art. 47);
  the audit log keeps actor names as text so it survives deletions (§3.3, tier T4).

Constraints that only exist in the migration (not expressible portably in the models):
- no double booking of one piece of equipment (§2.3): a PostgreSQL exclusion constraint
  `bookings_no_overlap`, on SQLite BEFORE INSERT/UPDATE triggers; both apply to bookings whose status
  is in `BLOCKING_BOOKING_STATUSES`, with half-open [start, end) ranges so back-to-back bookings pass.

Instructor overrides, scenario assignments and fitted difficulty models are tables (reads come from
them); every change of an override or an assignment is also an audit entry, which keeps their history
(EU AI Act Art. 12 record-keeping, Art. 14 human oversight; shared/reference/adaptive.md §5).
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Enum,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from lab.store.types import UTCDateTime, utc_now

# Deterministic constraint names, so migrations can refer to them on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit key for the big tables.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    """A string column holding the enum's values, checked by a named CHECK constraint."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        length=max(len(m.value) for m in cls),
        values_callable=lambda members: [m.value for m in members],
    )


class Role(enum.StrEnum):
    """Who a user is (DESIGN.md "Security and privacy"; RBAC table in §3.3)."""

    STUDENT = "student"
    INSTRUCTOR = "instructor"
    MENTOR = "mentor"
    ADMIN = "admin"
    AUDITOR = "auditor"


class SessionState(enum.StrEnum):
    CREATED = "created"
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"
    ABORTED = "aborted"


class EquipmentKind(enum.StrEnum):
    STATION = "station"
    CAMERA = "camera"
    EDGE_BOX = "edge_box"
    RIG = "rig"
    OTHER = "other"


class EquipmentStatus(enum.StrEnum):
    """LibreBooking's resource status (§2.1): hidden from booking, bookable, or out of service."""

    AVAILABLE = "available"
    UNAVAILABLE = "unavailable"
    HIDDEN = "hidden"


class BookingStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for approval; holds the slot
    CONFIRMED = "confirmed"
    CHECKED_IN = "checked_in"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    RELEASED = "released"  # auto-released no-show (§2.1 "autorelease")


# Statuses that occupy the equipment; the no-overlap constraint applies only to these.
BLOCKING_BOOKING_STATUSES: tuple[BookingStatus, ...] = (
    BookingStatus.PENDING,
    BookingStatus.CONFIRMED,
    BookingStatus.CHECKED_IN,
    BookingStatus.COMPLETED,
)


class HeartbeatStatus(enum.StrEnum):
    OK = "ok"
    DEGRADED = "degraded"
    ERROR = "error"


class ConsentKind(enum.StrEnum):
    """Separate consents (PIPL Art. 29, §3.3): live video to mentors, and keeping clips."""

    LIVE_VIDEO = "live_video"
    STORE_CLIPS = "store_clips"


class ConsentGiver(enum.StrEnum):
    """Under-14s need their guardian's consent (PIPL Art. 31)."""

    SELF = "self"
    GUARDIAN = "guardian"


class User(Base):
    """A person who logs in: student, instructor, enterprise mentor, lab admin or auditor."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))  # argon2; None: key-only login
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    curve_public_key: Mapped[str | None] = mapped_column(String(40), unique=True)  # Z85, CurveZMQ
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    disabled_at: Mapped[datetime | None]


class SchoolClass(Base):
    """A teaching class (班级): the unit instructors manage and bookings are made for."""

    __tablename__ = "classes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    instructor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    instructor: Mapped[User | None] = relationship()
    learners: Mapped[list[Learner]] = relationship(back_populates="school_class")


class Learner(Base):
    """A trainee, known to the system by a pseudonymous code (§3.3 tier T2/T3).

    `birth_year` is optional (collect as little as possible); `under_14` is recorded on its own so
    guardian consent (PIPL Art. 31) can be enforced without storing a birth date.
    """

    __tablename__ = "learners"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), unique=True)
    class_id: Mapped[int | None] = mapped_column(ForeignKey("classes.id", ondelete="SET NULL"), index=True)
    birth_year: Mapped[int | None]
    under_14: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    user: Mapped[User | None] = relationship()
    school_class: Mapped[SchoolClass | None] = relationship(back_populates="learners")
    attempts: Mapped[list[Attempt]] = relationship(
        back_populates="learner", cascade="all, delete-orphan", passive_deletes=True
    )
    consents: Mapped[list[Consent]] = relationship(
        back_populates="learner", cascade="all, delete-orphan", passive_deletes=True
    )


class ScenarioSpec(Base):
    """A scenario spec exactly as it was used (the TOML text), so past attempts stay explainable."""

    __tablename__ = "scenario_specs"

    scenario_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(primary_key=True)
    toml_text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class Equipment(Base):
    """A bookable or monitored device: station PC, camera, edge box, training rig."""

    __tablename__ = "equipment"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[EquipmentKind] = mapped_column(_enum(EquipmentKind, "equipment_kind"))
    name: Mapped[str] = mapped_column(String(100), unique=True)
    location: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[EquipmentStatus] = mapped_column(
        _enum(EquipmentStatus, "equipment_status"), default=EquipmentStatus.AVAILABLE
    )
    status_reason: Mapped[str | None] = mapped_column(String(200))
    capabilities: Mapped[dict[str, Any]] = mapped_column(default=dict)  # e.g. {"scenarios": [...]}
    curve_public_key: Mapped[str | None] = mapped_column(String(40), unique=True)  # stations, edge boxes
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    blackouts: Mapped[list[Blackout]] = relationship(
        back_populates="equipment", cascade="all, delete-orphan", passive_deletes=True
    )


class Blackout(Base):
    """A maintenance window during which equipment cannot be booked (§2.1 "Blackouts")."""

    __tablename__ = "blackouts"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    equipment: Mapped[Equipment] = relationship(back_populates="blackouts")


class Booking(Base):
    """One reservation of one piece of equipment over [starts_at, ends_at).

    Booked for a class, a learner and/or an instructor; instances of a recurring series share
    `recurrence_id`. Overlaps are refused by the database (see the module docstring).
    """

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_bookings_equipment_time", "equipment_id", "starts_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id", ondelete="RESTRICT"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[BookingStatus] = mapped_column(
        _enum(BookingStatus, "booking_status"), default=BookingStatus.CONFIRMED
    )
    class_id: Mapped[int | None] = mapped_column(ForeignKey("classes.id", ondelete="SET NULL"), index=True)
    learner_id: Mapped[int | None] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    instructor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recurrence_id: Mapped[str | None] = mapped_column(String(36), index=True)
    checked_in_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    equipment: Mapped[Equipment] = relationship()


def _new_session_id() -> str:
    return uuid.uuid4().hex


class TrainingSession(Base):
    """One run at a station. Its id is a random hex string: it travels on the bus and into
    recordings as the pseudonymous handle of the learner's session (DESIGN.md bus envelope)."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_new_session_id)
    station_id: Mapped[int | None] = mapped_column(
        ForeignKey("equipment.id", ondelete="SET NULL"), index=True
    )
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    scenario_id: Mapped[str] = mapped_column(String(64))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"))
    state: Mapped[SessionState] = mapped_column(
        _enum(SessionState, "session_state"), default=SessionState.CREATED
    )
    started_at: Mapped[datetime] = mapped_column(default=utc_now)
    ended_at: Mapped[datetime | None]
    recording_path: Mapped[str | None] = mapped_column(String(1000))  # MCAP file on the station/server

    station: Mapped[Equipment | None] = relationship()
    learner: Mapped[Learner] = relationship()
    attempts: Mapped[list[Attempt]] = relationship(back_populates="session")


class Attempt(Base):
    """One attempt at a scenario: what was generated, what happened, and why it was chosen.

    `scenario_id` is the catalog id; when `spec_version` is set it must name a stored
    `ScenarioSpec` (a composite foreign key, which SQL checks only when both parts are non-null).
    """

    __tablename__ = "attempts"
    __table_args__ = (
        ForeignKeyConstraint(
            ["scenario_id", "spec_version"],
            ["scenario_specs.scenario_id", "scenario_specs.version"],
            name="fk_attempts_spec_scenario_specs",
        ),
        Index("ix_attempts_learner_scenario", "learner_id", "scenario_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"))
    session_id: Mapped[str | None] = mapped_column(ForeignKey("sessions.id", ondelete="SET NULL"), index=True)
    scenario_id: Mapped[str] = mapped_column(String(64))
    spec_version: Mapped[int | None]
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    seed: Mapped[int] = mapped_column(BigInteger)
    passed: Mapped[bool | None]  # None while running or when aborted
    score: Mapped[float | None]
    sub_scores: Mapped[dict[str, Any]] = mapped_column(default=dict)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    errors: Mapped[list[Any]] = mapped_column(default=list)
    coach_summary: Mapped[dict[str, Any]] = mapped_column(default=dict)  # coach events, summarised
    explanation: Mapped[dict[str, Any]] = mapped_column(default=dict)  # why these parameters (zh/en)
    predicted_success: Mapped[float | None]
    started_at: Mapped[datetime] = mapped_column(default=utc_now)
    finished_at: Mapped[datetime | None]

    learner: Mapped[Learner] = relationship(back_populates="attempts")
    session: Mapped[TrainingSession | None] = relationship(back_populates="attempts")


class DeviceHeartbeat(Base):
    """A liveness report from a device (fps, temperatures, queue depths in `metrics`)."""

    __tablename__ = "device_heartbeats"
    __table_args__ = (Index("ix_device_heartbeats_equipment_time", "equipment_id", "received_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id", ondelete="CASCADE"))
    received_at: Mapped[datetime] = mapped_column(default=utc_now)
    status: Mapped[HeartbeatStatus] = mapped_column(
        _enum(HeartbeatStatus, "heartbeat_status"), default=HeartbeatStatus.OK
    )
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)

    equipment: Mapped[Equipment] = relationship()


class MentorInvitation(Base):
    """What an enterprise mentor may see: one session or one learner, within a time window (§3.3).

    Exactly one of `session_id` / `learner_id` is set. Video is seen only when the invitation allows
    it AND the learner's live-video consent is in force.
    """

    __tablename__ = "mentor_invitations"
    __table_args__ = (
        CheckConstraint("(session_id IS NULL) <> (learner_id IS NULL)", name="one_scope"),
        CheckConstraint("valid_until > valid_from", name="valid_window"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[str | None] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    learner_id: Mapped[int | None] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime]
    may_view_video: Mapped[bool] = mapped_column(default=False)
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    mentor: Mapped[User] = relationship(foreign_keys=[mentor_id])


class Consent(Base):
    """A consent grant, kept after withdrawal (withdrawn_at set) as evidence (PIPL Art. 29, 31)."""

    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_learner_kind", "learner_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"))
    kind: Mapped[ConsentKind] = mapped_column(_enum(ConsentKind, "consent_kind"))
    granted_by: Mapped[ConsentGiver] = mapped_column(_enum(ConsentGiver, "consent_giver"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(default=utc_now)
    withdrawn_at: Mapped[datetime | None]

    learner: Mapped[Learner] = relationship(back_populates="consents")


class AuditEntry(Base):
    """One audit record; `hash` chains over `prev_hash` (computed by the audit module, §3.2).

    `actor` and `resource` are text, not foreign keys, so the log outlives deleted rows.
    """

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utc_now)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64), index=True)
    resource: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


# Who changed an override, made an assignment or ran a fit: the pseudonymous handle the audit log
# keeps (`role:login`, or the CLI's `--by`), as text so the row outlives the account.
_Handle = String(100)


class AdaptiveOverride(Base):
    """The instructor's current overrides of the generator (scenarios.overrides) for one class or one
    learner and one scenario; a learner's win over their class's. Their history is in the audit log
    (action `scenarios.overrides`)."""

    __tablename__ = "adaptive_overrides"
    __table_args__ = (
        CheckConstraint("(learner_id IS NULL) <> (class_id IS NULL)", name="one_scope"),
        UniqueConstraint("learner_id", "scenario_id"),
        UniqueConstraint("class_id", "scenario_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int | None] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"))
    class_id: Mapped[int | None] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"))
    scenario_id: Mapped[str] = mapped_column(String(64))
    overrides: Mapped[dict[str, Any]] = mapped_column(default=dict)  # Overrides.to_dict()
    updated_by: Mapped[str] = mapped_column(_Handle)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)


class DifficultyFit(Base):
    """A difficulty model fitted by `shixun scenarios fit` for one spec version
    (scenarios.difficulty.DifficultyModel.to_dict); `next` uses the newest, else the spec's prior."""

    __tablename__ = "difficulty_models"
    __table_args__ = (
        ForeignKeyConstraint(
            ["scenario_id", "spec_version"],
            ["scenario_specs.scenario_id", "scenario_specs.version"],
            name="fk_difficulty_models_spec_scenario_specs",
        ),
        Index("ix_difficulty_models_scenario", "scenario_id", "spec_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[str] = mapped_column(String(64))
    spec_version: Mapped[int]
    version: Mapped[str] = mapped_column(String(64))  # the model's own version id (explanations cite it)
    n_attempts: Mapped[int]
    model: Mapped[dict[str, Any]]
    fitted_by: Mapped[str] = mapped_column(_Handle)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class ScenarioAssignment(Base):
    """An instructor's assignment of a scenario to one learner or one class. A new assignment ends the
    scope's current one (`ended_at`), so at most one is current per scope; each is also an audit entry
    (action `scenario.assign`)."""

    __tablename__ = "scenario_assignments"
    __table_args__ = (
        CheckConstraint("(learner_id IS NULL) <> (class_id IS NULL)", name="one_scope"),
        Index(
            "uq_scenario_assignments_current_learner",
            "learner_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
        Index(
            "uq_scenario_assignments_current_class",
            "class_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int | None] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    class_id: Mapped[int | None] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"), index=True)
    scenario_id: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(_Handle)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    ended_at: Mapped[datetime | None]
