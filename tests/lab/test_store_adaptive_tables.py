"""Instructor overrides, fitted difficulty models and scenario assignments in their own tables
(SQLite and PostgreSQL): round trips, which one wins, constraints, and the migration that moves the
audit-entry overrides and assignments of an older store into the tables with the chain intact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lab.audit import chain
from lab.bus.text import UserError
from lab.store.attempts import (
    OVERRIDES_ACTION,
    difficulty_model,
    load_overrides,
    save_difficulty_model,
    save_overrides,
    scope_overrides,
)
from lab.store.engine import make_engine, make_session_factory
from lab.store.migrate import alembic_config, current_revision, head_revision, upgrade
from lab.store.models import (
    AdaptiveOverride,
    AuditEntry,
    DifficultyFit,
    Learner,
    ScenarioAssignment,
    ScenarioSpec,
    SchoolClass,
)
from scenarios.difficulty import DifficultyModel
from scenarios.overrides import Overrides
from scenarios.paramspace import Space
from scenarios.spec import get_spec
from station_app.instructor.assignments import ASSIGN_ACTION, assigned_scenario

SPACE = Space(get_spec("crane.bridge_lift"))
SID = SPACE.spec.id
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _school(db: Session) -> None:
    """Class C1 with learners S1 and S2; S3 has no class."""
    db.add(SchoolClass(code="C1", name="Crane 1", learners=[Learner(code="S1"), Learner(code="S2")]))
    db.add(Learner(code="S3"))
    db.flush()


def _learner(db: Session, code: str) -> Learner:
    return db.scalars(select(Learner).where(Learner.code == code)).one()


def test_overrides_round_trip_latest_wins_and_learner_over_class(sessions) -> None:
    with sessions.begin() as db:
        _school(db)
        save_overrides(
            db,
            SPACE,
            Overrides(pins={"wind_mps": 3.0}, band=(0.6, 0.7), faults_in=frozenset({"drive_lag"})),
            "instructor:wang",
            class_code="C1",
        )
        save_overrides(db, SPACE, Overrides(pins={"wind_mps": 5.0}), "instructor:wang", learner_code="S1")
        save_overrides(db, SPACE, Overrides(pins={"wind_mps": 6.5}), "instructor:li", learner_code="S1")
    with sessions() as db:
        s1 = load_overrides(db, SID, _learner(db, "S1"))
        assert s1.pins == {"wind_mps": 6.5}  # the learner's latest, over the class's pin
        assert s1.band == (0.6, 0.7) and s1.faults_in == {"drive_lag"}  # the rest from the class
        assert load_overrides(db, SID, _learner(db, "S2")).pins == {"wind_mps": 3.0}
        assert load_overrides(db, SID, _learner(db, "S3")) == Overrides()
        assert load_overrides(db, "other.scenario", _learner(db, "S1")) == Overrides()
        assert scope_overrides(db, SID, learner_code="S1") == Overrides(pins={"wind_mps": 6.5})
        assert scope_overrides(db, SID, class_code="C1").band == (0.6, 0.7)
        rows = list(db.scalars(select(AdaptiveOverride).order_by(AdaptiveOverride.id)))
        assert [(r.class_id is not None, r.updated_by) for r in rows] == [
            (True, "instructor:wang"),
            (False, "instructor:li"),  # one row per scope: the second save updated it
        ]
        entries = list(db.scalars(select(AuditEntry).where(AuditEntry.action == OVERRIDES_ACTION)))
        assert [e.resource for e in entries] == [f"class:C1/{SID}", f"learner:S1/{SID}", f"learner:S1/{SID}"]
        assert rows[1].updated_at == entries[-1].at  # the row says when, the log keeps every change
        assert chain.verify(db).ok


def test_clearing_and_refusals(sessions) -> None:
    with sessions.begin() as db:
        _school(db)
        save_overrides(db, SPACE, Overrides(pins={"wind_mps": 5.0}), "instructor:wang", learner_code="S1")
        save_overrides(db, SPACE, Overrides(), "instructor:wang", learner_code="S1")  # `{}` clears
    with sessions() as db:
        assert load_overrides(db, SID, _learner(db, "S1")) == Overrides()
    for kwargs in ({"learner_code": "NOBODY"}, {"class_code": "NOCLASS"}, {}):
        with sessions.begin() as db, pytest.raises(UserError):
            save_overrides(db, SPACE, Overrides(), "instructor:wang", **kwargs)
    with sessions.begin() as db, pytest.raises(UserError):
        save_overrides(db, SPACE, Overrides(pins={"wind_mps": 99.0}), "x", learner_code="S1")


def test_a_stored_override_the_model_would_refuse_is_one_line_not_a_crash(sessions) -> None:
    with sessions.begin() as db:
        _school(db)
        s1 = _learner(db, "S1")
        db.add(
            AdaptiveOverride(
                learner_id=s1.id, scenario_id=SID, overrides={"band": [0.9, 0.1]}, updated_by="x"
            )
        )
    with sessions() as db, pytest.raises(UserError, match="target band"):
        load_overrides(db, SID, _learner(db, "S1"))


def test_one_scope_and_one_row_per_scope_are_enforced_by_the_database(sessions) -> None:
    with sessions.begin() as db:
        _school(db)
    bad_rows = [
        lambda db: AdaptiveOverride(scenario_id=SID, updated_by="x"),  # neither learner nor class
        lambda db: AdaptiveOverride(
            learner_id=_learner(db, "S1").id,
            class_id=_learner(db, "S1").class_id,
            scenario_id=SID,
            updated_by="x",
        ),
        lambda db: ScenarioAssignment(scenario_id=SID, created_by="x"),
    ]
    for make in bad_rows:
        with sessions() as db, pytest.raises(IntegrityError):
            db.add(make(db))
            db.flush()
    with sessions.begin() as db:
        s1 = _learner(db, "S1").id
        db.add(AdaptiveOverride(learner_id=s1, scenario_id=SID, updated_by="x"))
        db.add(AdaptiveOverride(learner_id=s1, scenario_id="other.scenario", updated_by="x"))
        db.add(ScenarioAssignment(learner_id=s1, scenario_id=SID, created_by="x", ended_at=T0))
        db.add(ScenarioAssignment(learner_id=s1, scenario_id=SID, created_by="x"))
    for duplicate in (
        lambda: AdaptiveOverride(learner_id=s1, scenario_id=SID, updated_by="y"),
        lambda: ScenarioAssignment(learner_id=s1, scenario_id="other", created_by="y"),  # two current
    ):
        with sessions() as db, pytest.raises(IntegrityError):
            db.add(duplicate())
            db.flush()


def test_fitted_models_round_trip_and_the_newest_of_the_spec_version_is_used(sessions) -> None:
    prior = SPACE.prior_model()
    with sessions() as db:
        assert difficulty_model(db, SPACE).version == prior.version == "spec"
    first = DifficultyModel.from_dict(prior.to_dict() | {"version": "fit-1", "n_attempts": 40})
    second = DifficultyModel.from_dict(prior.to_dict() | {"version": "fit-2", "n_attempts": 80})
    with sessions.begin() as db:
        save_difficulty_model(db, SPACE, first, "instructor:wang")
        model_id = save_difficulty_model(db, SPACE, second, "instructor:li")
    with sessions() as db:
        used = difficulty_model(db, SPACE)
        assert used.version == "fit-2" and used.n_attempts == 80 and used.to_dict() == second.to_dict()
        row = db.get(DifficultyFit, model_id)
        assert (row.scenario_id, row.spec_version, row.version, row.n_attempts, row.fitted_by) == (
            SID,
            SPACE.spec.version,
            "fit-2",
            80,
            "instructor:li",
        )
        assert row.created_at.tzinfo is not None
    with sessions.begin() as db:  # a model fitted for another spec version is not used
        newer = SPACE.spec.version + 1
        db.add(ScenarioSpec(scenario_id=SID, version=newer, toml_text="", sha256=""))
        db.flush()
        db.get(DifficultyFit, model_id).spec_version = newer
        db.get(DifficultyFit, model_id - 1).model = {"format": "garbage"}
    with sessions() as db, pytest.raises(UserError, match="rerun `scenarios fit`"):
        difficulty_model(db, SPACE)


# --- the migration from audit entries --------------------------------------------------------------


def _old_store(url: str) -> None:
    """A store at revision 0001 whose overrides and assignments exist only as audit entries."""
    upgrade(url, "0001")
    engine = make_engine(url)
    with make_session_factory(engine).begin() as db:
        _school(db)
        log = [  # (minutes after T0, actor, action, resource, detail)
            (0, "instructor:wang", OVERRIDES_ACTION, f"class:C1/{SID}", {"overrides": {"band": [0.6, 0.7]}}),
            (
                1,
                "instructor:wang",
                OVERRIDES_ACTION,
                f"learner:S1/{SID}",
                {"overrides": {"pins": {"wind_mps": 5}}},
            ),
            (
                2,
                "instructor:li",
                OVERRIDES_ACTION,
                f"learner:S1/{SID}",
                {"overrides": {"pins": {"wind_mps": 6.5}}},
            ),
            (
                3,
                "instructor:li",
                OVERRIDES_ACTION,
                f"learner:GONE/{SID}",
                {"overrides": {}},
            ),  # deleted learner
            (4, "instructor:wang", "view:history", "learner:S1", {}),
            (5, "instructor:wang", ASSIGN_ACTION, "class:C1", {"scenario": SID}),
            (6, "instructor:wang", ASSIGN_ACTION, "learner:S2", {"scenario": "crane.old"}),
            (7, "instructor:wang", ASSIGN_ACTION, "learner:S2", {"scenario": SID}),
            (8, "instructor:wang", ASSIGN_ACTION, "class:NOCLASS", {"scenario": SID}),  # deleted class
        ]
        for minutes, actor, action, resource, detail in log:
            chain.append(db, actor, action, resource, detail, T0 + timedelta(minutes=minutes))
    engine.dispose()


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_upgrading_an_old_store_moves_audit_entries_into_the_tables(kind: str, request) -> None:
    url = request.getfixturevalue(f"{kind}_url" if kind == "sqlite" else "postgres_url")
    _old_store(url)
    assert current_revision(url) == "0001"
    upgrade(url)
    assert current_revision(url) == head_revision()
    engine = make_engine(url)
    with make_session_factory(engine)() as db:
        s1, s2, s3 = (_learner(db, code) for code in ("S1", "S2", "S3"))
        assert load_overrides(db, SID, s1) == Overrides(pins={"wind_mps": 6.5}, band=(0.6, 0.7))
        assert load_overrides(db, SID, s2) == Overrides(band=(0.6, 0.7))
        rows = list(db.scalars(select(AdaptiveOverride).order_by(AdaptiveOverride.id)))
        assert [(r.updated_by, r.updated_at) for r in rows] == [
            ("instructor:wang", T0),
            ("instructor:li", T0 + timedelta(minutes=2)),
        ]
        assert (assigned_scenario(db, s1), assigned_scenario(db, s2), assigned_scenario(db, s3)) == (
            SID,
            SID,
            None,
        )
        history = list(
            db.scalars(
                select(ScenarioAssignment)
                .where(ScenarioAssignment.learner_id == s2.id)
                .order_by(ScenarioAssignment.id)
            )
        )
        assert [(a.scenario_id, a.created_at, a.ended_at) for a in history] == [
            ("crane.old", T0 + timedelta(minutes=6), T0 + timedelta(minutes=7)),
            (SID, T0 + timedelta(minutes=7), None),
        ]
        assert db.scalar(select(func.count()).select_from(ScenarioAssignment)) == 3
        assert db.scalar(select(func.count()).select_from(AuditEntry)) == 9  # the entries stay
        verified = chain.verify(db)
        assert verified.ok and verified.checked == 9
    # Downgrading drops the tables; the entries were never removed, so upgrading again restores them.
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    upgrade(engine)
    with make_session_factory(engine)() as db:
        assert load_overrides(db, SID, _learner(db, "S1")).pins == {"wind_mps": 6.5}
        assert chain.verify(db).ok
    engine.dispose()
