"""Adaptive tables: instructor overrides, scenario assignments and fitted difficulty models.

Overrides (`scenarios.overrides`) and assignments (`scenario.assign`) were kept only as audit-log
entries. This revision gives each a table and copies the audit entries into it: for overrides the
latest entry per scope and scenario, for assignments every entry (each one ends the scope's previous
assignment). The audit entries stay untouched, so the hash chain stays valid and still holds the
history (shared/reference/adaptive.md §5: every decision logged, EU AI Act Art. 12). Entries whose
learner or class no longer exists are not copied. Fitted difficulty models were JSON files in the
user data dir; they are not read any more: run `shixun scenarios fit` again after upgrading.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 18:20:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies, as of this revision, of the audit actions and resources the apps wrote:
# overrides `learner:<code>/<scenario>` or `class:<code>/<scenario>` with detail {"overrides": {...}};
# assignments `learner:<code>` or `class:<code>` with detail {"scenario": id}.
OVERRIDES_ACTION = "scenarios.overrides"
ASSIGN_ACTION = "scenario.assign"
ONE_SCOPE = "(learner_id IS NULL) <> (class_id IS NULL)"
CURRENT = "ended_at IS NULL"

_audit = sa.table(
    "audit_log",
    sa.column("seq", sa.Integer()),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor", sa.String()),
    sa.column("action", sa.String()),
    sa.column("resource", sa.String()),
    sa.column("detail", sa.JSON()),
)
_learners = sa.table("learners", sa.column("id", sa.Integer()), sa.column("code", sa.String()))
_classes = sa.table("classes", sa.column("id", sa.Integer()), sa.column("code", sa.String()))


def upgrade() -> None:
    overrides = op.create_table(
        "adaptive_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=True),
        sa.Column("class_id", sa.Integer(), nullable=True),
        sa.Column("scenario_id", sa.String(length=64), nullable=False),
        sa.Column("overrides", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(ONE_SCOPE, name=op.f("ck_adaptive_overrides_one_scope")),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["classes.id"],
            name=op.f("fk_adaptive_overrides_class_id_classes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learners.id"],
            name=op.f("fk_adaptive_overrides_learner_id_learners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adaptive_overrides")),
        sa.UniqueConstraint("class_id", "scenario_id", name=op.f("uq_adaptive_overrides_class_id")),
        sa.UniqueConstraint("learner_id", "scenario_id", name=op.f("uq_adaptive_overrides_learner_id")),
    )
    op.create_table(
        "difficulty_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scenario_id", sa.String(length=64), nullable=False),
        sa.Column("spec_version", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("n_attempts", sa.Integer(), nullable=False),
        sa.Column("model", sa.JSON(), nullable=False),
        sa.Column("fitted_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["scenario_id", "spec_version"],
            ["scenario_specs.scenario_id", "scenario_specs.version"],
            name="fk_difficulty_models_spec_scenario_specs",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_difficulty_models")),
    )
    op.create_index(
        "ix_difficulty_models_scenario", "difficulty_models", ["scenario_id", "spec_version"], unique=False
    )
    assignments = op.create_table(
        "scenario_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=True),
        sa.Column("class_id", sa.Integer(), nullable=True),
        sa.Column("scenario_id", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(ONE_SCOPE, name=op.f("ck_scenario_assignments_one_scope")),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["classes.id"],
            name=op.f("fk_scenario_assignments_class_id_classes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learners.id"],
            name=op.f("fk_scenario_assignments_learner_id_learners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenario_assignments")),
    )
    op.create_index(
        op.f("ix_scenario_assignments_class_id"), "scenario_assignments", ["class_id"], unique=False
    )
    op.create_index(
        op.f("ix_scenario_assignments_learner_id"), "scenario_assignments", ["learner_id"], unique=False
    )
    for column in ("class_id", "learner_id"):
        op.create_index(
            f"uq_scenario_assignments_current_{column.removesuffix('_id')}",
            "scenario_assignments",
            [column],
            unique=True,
            sqlite_where=sa.text(CURRENT),
            postgresql_where=sa.text(CURRENT),
        )
    _copy_overrides(overrides)
    _copy_assignments(assignments)


def downgrade() -> None:
    """The audit entries were never removed, so the previous revision finds every change there."""
    op.drop_table("scenario_assignments")
    op.drop_index("ix_difficulty_models_scenario", table_name="difficulty_models")
    op.drop_table("difficulty_models")
    op.drop_table("adaptive_overrides")


def _entries(action: str) -> list[Any]:
    query = sa.select(_audit).where(_audit.c.action == action).order_by(_audit.c.seq)
    return list(op.get_bind().execute(query))


def _owner(resource: str) -> dict[str, int | None] | None:
    """`learner:<code>` or `class:<code>` → the scope's foreign keys; None if it is gone or garbled."""
    kind, _, code = resource.partition(":")
    table = {"learner": _learners, "class": _classes}.get(kind)
    if table is None or not code:
        return None
    found = op.get_bind().scalar(sa.select(table.c.id).where(table.c.code == code))
    if found is None:
        return None
    return {
        "learner_id": found if kind == "learner" else None,
        "class_id": found if kind == "class" else None,
    }


def _copy_overrides(overrides: sa.Table) -> None:
    latest: dict[str, Any] = {}
    for entry in _entries(OVERRIDES_ACTION):  # oldest first: the last one per scope wins
        latest[entry.resource] = entry
    rows = []
    for resource, entry in latest.items():
        scope, _, scenario_id = resource.rpartition("/")
        owner = _owner(scope)
        stored = entry.detail.get("overrides") if isinstance(entry.detail, dict) else None
        if owner is None or not scenario_id or not isinstance(stored, dict):
            continue
        rows.append(
            owner
            | {
                "scenario_id": scenario_id,
                "overrides": stored,
                "updated_by": entry.actor,
                "updated_at": entry.at,
            }
        )
    if rows:
        op.bulk_insert(overrides, rows)


def _copy_assignments(assignments: sa.Table) -> None:
    rows: list[dict[str, Any]] = []
    current: dict[str, dict[str, Any]] = {}  # resource -> its newest row so far
    for entry in _entries(ASSIGN_ACTION):
        owner = _owner(entry.resource)
        scenario_id = entry.detail.get("scenario") if isinstance(entry.detail, dict) else None
        if owner is None or not isinstance(scenario_id, str):
            continue
        if entry.resource in current:
            current[entry.resource]["ended_at"] = entry.at
        row = owner | {
            "scenario_id": scenario_id,
            "note": entry.detail.get("note"),
            "created_by": entry.actor,
            "created_at": entry.at,
            "ended_at": None,
        }
        rows.append(row)
        current[entry.resource] = row
    if rows:
        op.bulk_insert(assignments, rows)
