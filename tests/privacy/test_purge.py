"""Retention: the clock moves past each period, the purge finds the data gone and is itself audited."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from privacy_world import T0, World
from sqlalchemy import func, select

from lab.audit import chain
from lab.auth.access import PermissionDenied
from lab.auth.permissions import Actor
from lab.privacy.consent_records import withdraw
from lab.privacy.purge import apply_purge, plan_purge
from lab.privacy.retention import AUDIT_FLOOR_DAYS, BadRetention, RetentionPolicy
from lab.store.models import AuditEntry, ConsentKind, Learner, TrainingSession

POLICY = RetentionPolicy(
    clips_days=7, keypoints_days=30, learner_records_days=365, audit_days=AUDIT_FLOOR_DAYS
)


def _purge(world: World, now: datetime, actor: Actor | None = None, apply: bool = True) -> dict[str, int]:
    """Plan (and apply) a purge at `now`; an applied purge must be in the audit log with its counts."""
    with world.sessions.begin() as db:
        plan = plan_purge(db, actor or world.admin, POLICY, world.clips_dir, now)
        if not apply:
            return plan.counts()
        counts = apply_purge(db, actor or world.admin, plan, world.clips_dir)
    recorded = [p for p in _purges_recorded(world) if p.at == now]
    assert len(recorded) == 1 and recorded[0].actor == "admin:root" and recorded[0].detail["due"] == counts
    return counts


def _purges_recorded(world: World) -> list[AuditEntry]:
    with world.sessions() as db:
        return list(
            db.scalars(
                select(AuditEntry).where(AuditEntry.action == "delete:retention").order_by(AuditEntry.seq)
            )
        )


def _learner_exists(world: World, code: str) -> bool:
    with world.sessions() as db:
        return db.scalar(select(Learner.id).where(Learner.code == code)) is not None


def test_each_retention_period_in_turn(world: World) -> None:
    with world.sessions.begin() as db:  # something for the audit log from the first day
        chain.append(db, "instructor:teacher", "view:history", "learner:L001", now=T0)

    # Day 6: nothing is due yet.
    assert _purge(world, T0 + timedelta(days=6)) == {
        "clips": 0,
        "keypoints": 0,
        "learner_records": 0,
        "audit_log": 0,
    }
    assert world.clip.exists() and world.recording.exists()

    # Day 8: past the clip period; the recording (keypoints) stays.
    assert _purge(world, T0 + timedelta(days=8))["clips"] == 1
    assert not world.clip.exists() and world.recording.exists()

    # Day 31: past the keypoint period; the session row stays without its recording.
    assert _purge(world, T0 + timedelta(days=31))["keypoints"] == 1
    assert not world.recording.exists()
    with world.sessions() as db:
        assert db.get(TrainingSession, world.session_id).recording_path is None

    # Day 190: past the audit floor; the entries of the first days are gone and the chain verifies.
    counts = _purge(world, T0 + timedelta(days=190))
    assert counts["audit_log"] >= 1 and counts["learner_records"] == 0
    with world.sessions() as db:
        oldest = db.scalar(select(func.min(AuditEntry.at)))
        assert oldest >= T0 + timedelta(days=190 - AUDIT_FLOOR_DAYS)
        assert chain.verify(db).ok

    # Day 366: past the learner-record period; both learners (no activity since day 0) are gone,
    # and with them the student's own account.
    counts = _purge(world, T0 + timedelta(days=366))
    assert counts["learner_records"] == 2
    assert not _learner_exists(world, world.learner_code) and not _learner_exists(
        world, world.other_learner_code
    )

    assert _purges_recorded(world)[-1].detail["learners"] == ["L001", "L002"]
    with world.sessions() as db:
        assert chain.verify(db).ok


def test_dry_run_deletes_nothing(world: World) -> None:
    counts = _purge(world, T0 + timedelta(days=400), apply=False)
    assert counts["clips"] == 1 and counts["keypoints"] == 1 and counts["learner_records"] == 2
    assert world.clip.exists() and world.recording.exists() and _learner_exists(world, world.learner_code)
    assert _purges_recorded(world) == []


def test_recent_activity_keeps_a_learner(world: World) -> None:
    with world.sessions.begin() as db:
        learner = db.scalar(select(Learner).where(Learner.code == world.learner_code))
        db.add(
            TrainingSession(
                id="s2", learner_id=learner.id, scenario_id="x", started_at=T0 + timedelta(days=300)
            )
        )
    _purge(world, T0 + timedelta(days=366))
    assert _learner_exists(world, world.learner_code) and not _learner_exists(world, world.other_learner_code)


def test_withdrawing_clip_consent_schedules_deletion_at_the_next_purge(world: World) -> None:
    with world.sessions.begin() as db:
        learner = db.scalar(select(Learner).where(Learner.code == world.learner_code))
        withdraw(db, world.student, learner, ConsentKind.STORE_CLIPS, T0 + timedelta(days=1))
    assert _purge(world, T0 + timedelta(days=1, minutes=1))["clips"] == 1  # long before the clip period
    assert not world.clip.exists() and world.recording.exists()


def test_left_behind_clips_are_due(world: World) -> None:
    stray = world.clips_dir / "no-such-session" / "frame.jpg"
    stray.parent.mkdir()
    stray.write_bytes(b"\xff\xd8\xff")
    assert _purge(world, T0 + timedelta(days=1))["clips"] == 1
    assert not stray.exists() and world.clip.exists()


def test_only_an_admin_may_purge_and_the_refusal_is_recorded(world: World) -> None:
    with pytest.raises(PermissionDenied):
        _purge(world, T0 + timedelta(days=8), actor=world.instructor)
    with world.sessions.begin() as db:  # the auditor may look (dry run) but not delete
        plan = plan_purge(db, world.auditor, POLICY, world.clips_dir, T0 + timedelta(days=8))
        with pytest.raises(PermissionDenied):
            apply_purge(db, world.auditor, plan, world.clips_dir)
    assert world.clip.exists()
    with world.sessions() as db:
        denied = [
            e.actor
            for e in db.scalars(
                select(AuditEntry).where(AuditEntry.action.like("denied:%")).order_by(AuditEntry.seq)
            )
        ]
    assert denied == ["instructor:teacher", "auditor:dpo"]


@pytest.mark.parametrize(
    ("days", "problem"),
    [
        ({"audit_days": 0}, "audit log must be kept at least 184"),
        ({"audit_days": 183}, "audit log must be kept at least 184"),
        ({"clips_days": -1}, "from 0 to"),
        ({"clips_days": 400, "keypoints_days": 500}, "at most 365"),
        ({"clips_days": 60}, "longer than the keypoints"),
        ({"keypoints_days": 400}, "outlive the learner records"),
        ({"learner_records_days": 0, "keypoints_days": 0, "clips_days": 0}, "every learner"),
        ({"learner_records_days": 10**6}, "from 0 to"),
        ({"clips_days": 1.5}, "whole number"),
    ],
)
def test_nonsensical_settings_are_refused(days: dict, problem: str) -> None:
    with pytest.raises(BadRetention, match=problem):
        RetentionPolicy(**{**POLICY.__dict__, **days}).validate()


def test_a_refused_setting_touches_nothing(world: World) -> None:
    policy = RetentionPolicy(clips_days=0, keypoints_days=0, learner_records_days=1, audit_days=0)
    with pytest.raises(BadRetention), world.sessions.begin() as db:
        plan_purge(db, world.admin, policy, world.clips_dir, T0 + timedelta(days=800))
    assert world.clip.exists() and world.recording.exists() and _learner_exists(world, world.learner_code)


def test_clip_retention_zero_is_a_valid_setting() -> None:
    assert RetentionPolicy(0, 0, 1, AUDIT_FLOOR_DAYS).validate()
