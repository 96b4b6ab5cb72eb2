"""Initial schema: every table of DESIGN.md "Storage", plus the database-enforced no-overlap rule.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 15:14:27.168411
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# No double booking, enforced by the database (shared/reference/bus_booking_privacy.md §2.3):
# per equipment, half-open [starts_at, ends_at) ranges of bookings in a blocking status may not overlap.
# Frozen copy of models.BLOCKING_BOOKING_STATUSES as of this revision.
NO_OVERLAP = "bookings_no_overlap"
BLOCKING_STATUSES = "('pending', 'confirmed', 'checked_in', 'completed')"
_SQLITE_OVERLAP_CHECK = f"""
BEGIN
    SELECT RAISE(ABORT, '{NO_OVERLAP}: the equipment is already booked in this time range')
    WHERE EXISTS (
        SELECT 1 FROM bookings AS other
        WHERE other.equipment_id = NEW.equipment_id
          AND other.id IS NOT NEW.id
          AND other.status IN {BLOCKING_STATUSES}
          AND other.starts_at < NEW.ends_at
          AND NEW.starts_at < other.ends_at
    );
END
"""


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("resource", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_log_hash")),
    )
    op.create_index(op.f("ix_audit_log_action"), "audit_log", ["action"], unique=False)

    op.create_table(
        "equipment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "station",
                "camera",
                "edge_box",
                "rig",
                "other",
                name="equipment_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "available",
                "unavailable",
                "hidden",
                name="equipment_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("status_reason", sa.String(length=200), nullable=True),
        sa.Column("capabilities", sa.JSON(), nullable=False),
        sa.Column("curve_public_key", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equipment")),
        sa.UniqueConstraint("curve_public_key", name=op.f("uq_equipment_curve_public_key")),
        sa.UniqueConstraint("name", name=op.f("uq_equipment_name")),
    )
    op.create_table(
        "scenario_specs",
        sa.Column("scenario_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("toml_text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scenario_id", "version", name=op.f("pk_scenario_specs")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column(
            "role",
            sa.Enum(
                "student",
                "instructor",
                "mentor",
                "admin",
                "auditor",
                name="role",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("curve_public_key", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("curve_public_key", name=op.f("uq_users_curve_public_key")),
        sa.UniqueConstraint("login", name=op.f("uq_users_login")),
    )
    op.create_table(
        "blackouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("equipment_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_blackouts_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_blackouts_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["equipment_id"],
            ["equipment.id"],
            name=op.f("fk_blackouts_equipment_id_equipment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blackouts")),
    )
    op.create_index(op.f("ix_blackouts_equipment_id"), "blackouts", ["equipment_id"], unique=False)

    op.create_table(
        "classes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("instructor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["instructor_id"], ["users.id"], name=op.f("fk_classes_instructor_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classes")),
        sa.UniqueConstraint("code", name=op.f("uq_classes_code")),
    )
    op.create_table(
        "device_heartbeats",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("equipment_id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "ok", "degraded", "error", name="heartbeat_status", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["equipment_id"],
            ["equipment.id"],
            name=op.f("fk_device_heartbeats_equipment_id_equipment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_heartbeats")),
    )
    op.create_index(
        "ix_device_heartbeats_equipment_time",
        "device_heartbeats",
        ["equipment_id", "received_at"],
        unique=False,
    )

    op.create_table(
        "learners",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("class_id", sa.Integer(), nullable=True),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("under_14", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["class_id"], ["classes.id"], name=op.f("fk_learners_class_id_classes"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_learners_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learners")),
        sa.UniqueConstraint("code", name=op.f("uq_learners_code")),
        sa.UniqueConstraint("user_id", name=op.f("uq_learners_user_id")),
    )
    op.create_index(op.f("ix_learners_class_id"), "learners", ["class_id"], unique=False)

    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("equipment_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "confirmed",
                "checked_in",
                "completed",
                "cancelled",
                "rejected",
                "released",
                name="booking_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("class_id", sa.Integer(), nullable=True),
        sa.Column("learner_id", sa.Integer(), nullable=True),
        sa.Column("instructor_id", sa.Integer(), nullable=True),
        sa.Column("booked_by_id", sa.Integer(), nullable=True),
        sa.Column("recurrence_id", sa.String(length=36), nullable=True),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_bookings_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["booked_by_id"], ["users.id"], name=op.f("fk_bookings_booked_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["class_id"], ["classes.id"], name=op.f("fk_bookings_class_id_classes"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["equipment_id"],
            ["equipment.id"],
            name=op.f("fk_bookings_equipment_id_equipment"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["instructor_id"], ["users.id"], name=op.f("fk_bookings_instructor_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["learners.id"], name=op.f("fk_bookings_learner_id_learners"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
    )
    op.create_index(op.f("ix_bookings_class_id"), "bookings", ["class_id"], unique=False)
    op.create_index(
        "ix_bookings_equipment_time", "bookings", ["equipment_id", "starts_at", "ends_at"], unique=False
    )
    op.create_index(op.f("ix_bookings_instructor_id"), "bookings", ["instructor_id"], unique=False)
    op.create_index(op.f("ix_bookings_learner_id"), "bookings", ["learner_id"], unique=False)
    op.create_index(op.f("ix_bookings_recurrence_id"), "bookings", ["recurrence_id"], unique=False)

    op.create_table(
        "consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "live_video", "store_clips", name="consent_kind", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column(
            "granted_by",
            sa.Enum("self", "guardian", name="consent_giver", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["learners.id"], name=op.f("fk_consents_learner_id_learners"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_consents_recorded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
    )
    op.create_index("ix_consents_learner_kind", "consents", ["learner_id", "kind"], unique=False)

    op.create_table(
        "sessions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=True),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("scenario_id", sa.String(length=64), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "created",
                "running",
                "paused",
                "finished",
                "aborted",
                name="session_state",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recording_path", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_sessions_booking_id_bookings"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["learners.id"], name=op.f("fk_sessions_learner_id_learners"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["equipment.id"],
            name=op.f("fk_sessions_station_id_equipment"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
    )
    op.create_index(op.f("ix_sessions_learner_id"), "sessions", ["learner_id"], unique=False)
    op.create_index(op.f("ix_sessions_station_id"), "sessions", ["station_id"], unique=False)

    op.create_table(
        "attempts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.String(length=32), nullable=True),
        sa.Column("scenario_id", sa.String(length=64), nullable=False),
        sa.Column("spec_version", sa.Integer(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("sub_scores", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("coach_summary", sa.JSON(), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("predicted_success", sa.Double(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["learners.id"], name=op.f("fk_attempts_learner_id_learners"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["scenario_id", "spec_version"],
            ["scenario_specs.scenario_id", "scenario_specs.version"],
            name="fk_attempts_spec_scenario_specs",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name=op.f("fk_attempts_session_id_sessions"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attempts")),
    )
    op.create_index(
        "ix_attempts_learner_scenario", "attempts", ["learner_id", "scenario_id", "started_at"], unique=False
    )
    op.create_index(op.f("ix_attempts_session_id"), "attempts", ["session_id"], unique=False)

    op.create_table(
        "mentor_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mentor_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.String(length=32), nullable=True),
        sa.Column("learner_id", sa.Integer(), nullable=True),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("may_view_video", sa.Boolean(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(session_id IS NULL) <> (learner_id IS NULL)", name=op.f("ck_mentor_invitations_one_scope")
        ),
        sa.CheckConstraint("valid_until > valid_from", name=op.f("ck_mentor_invitations_valid_window")),
        sa.ForeignKeyConstraint(
            ["invited_by_id"],
            ["users.id"],
            name=op.f("fk_mentor_invitations_invited_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learners.id"],
            name=op.f("fk_mentor_invitations_learner_id_learners"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["mentor_id"],
            ["users.id"],
            name=op.f("fk_mentor_invitations_mentor_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_mentor_invitations_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentor_invitations")),
    )
    op.create_index(
        op.f("ix_mentor_invitations_learner_id"), "mentor_invitations", ["learner_id"], unique=False
    )
    op.create_index(
        op.f("ix_mentor_invitations_mentor_id"), "mentor_invitations", ["mentor_id"], unique=False
    )
    op.create_index(
        op.f("ix_mentor_invitations_session_id"), "mentor_invitations", ["session_id"], unique=False
    )

    _create_no_overlap_rule()


def _create_no_overlap_rule() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")  # gist support for `equipment_id WITH =`
        op.execute(
            f"ALTER TABLE bookings ADD CONSTRAINT {NO_OVERLAP} EXCLUDE USING gist "
            "(equipment_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
            f"WHERE (status IN {BLOCKING_STATUSES})"
        )
    elif op.get_bind().dialect.name == "sqlite":
        # Stored instants are fixed-width UTC text (lab.store.types), so text order is time order.
        op.execute(
            f"CREATE TRIGGER {NO_OVERLAP}_insert BEFORE INSERT ON bookings "
            f"WHEN NEW.status IN {BLOCKING_STATUSES} {_SQLITE_OVERLAP_CHECK}"
        )
        op.execute(
            f"CREATE TRIGGER {NO_OVERLAP}_update "
            "BEFORE UPDATE OF equipment_id, starts_at, ends_at, status ON bookings "
            f"WHEN NEW.status IN {BLOCKING_STATUSES} {_SQLITE_OVERLAP_CHECK}"
        )
    else:
        raise NotImplementedError(
            f"no-overlap rule for {op.get_bind().dialect.name}: use SQLite or PostgreSQL"
        )


def downgrade() -> None:
    op.drop_table("mentor_invitations")
    op.drop_table("attempts")
    op.drop_table("sessions")
    op.drop_table("consents")
    op.drop_table("bookings")
    op.drop_table("learners")
    op.drop_table("device_heartbeats")
    op.drop_table("classes")
    op.drop_table("blackouts")
    op.drop_table("users")
    op.drop_table("scenario_specs")
    op.drop_table("equipment")
    op.drop_table("audit_log")
