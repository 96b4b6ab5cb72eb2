"""One learner's data: export everything to a zip, or delete everything; both audited and scoped."""

from __future__ import annotations

import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from privacy_world import T0, World
from sqlalchemy import func, select

from lab.audit import chain
from lab.auth.access import PermissionDenied, find_learner
from lab.privacy.learner_data import delete_learner, export_learner
from lab.store.models import Attempt, AuditEntry, Consent, Learner, TrainingSession, User


def _export(world: World, actor, out: Path) -> zipfile.ZipFile:
    with world.sessions.begin() as db:
        export = export_learner(
            db, actor, find_learner(db, world.learner_code), world.clips_dir, T0 + timedelta(days=1)
        )
    export.write_zip(out)
    return zipfile.ZipFile(out)


def test_the_learner_exports_everything_including_clips(world: World, tmp_path: Path) -> None:
    with world.sessions.begin() as db:  # an earlier access that the export must show
        chain.append(db, "instructor:teacher", "view:history", "learner:L001", now=T0)
    archive = _export(world, world.student, tmp_path / "me.zip")
    names = set(archive.namelist())
    assert names == {"learner.json", "recordings/s1/s1.mcap", "clips/s1/clip-0001.mp4"}
    data = json.loads(archive.read("learner.json"))
    assert data["format"] == "shixun.learner-export/1" and data["learner"]["code"] == "L001"
    assert data["account"]["display_name"] == "Name-of-stu"
    assert [a["score"] for a in data["attempts"]] == [0.8] and data["sessions"][0]["id"] == "s1"
    assert data["consents"][0]["kind"] == "store_clips"
    assert [a["by"] for a in data["accesses"]] == ["instructor:teacher", "student:stu"]
    assert archive.read("recordings/s1/s1.mcap") == b"keypoints"


def test_the_instructor_exports_without_clips_and_others_may_not(world: World, tmp_path: Path) -> None:
    names = set(_export(world, world.instructor, tmp_path / "a.zip").namelist())
    assert names == {"learner.json", "recordings/s1/s1.mcap"}
    for outsider in (world.other_instructor, world.mentor, world.auditor):
        with pytest.raises(PermissionDenied):
            _export(world, outsider, tmp_path / "b.zip")
    with world.sessions() as db:
        actions = list(
            db.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.resource == "learner:L001")
                .order_by(AuditEntry.seq)
            )
        )
    assert actions == ["export:learner_record"] + ["denied:export:learner_record"] * 3


def test_deletion_removes_rows_files_and_account_and_is_audited(world: World) -> None:
    with world.sessions.begin() as db, pytest.raises(PermissionDenied):
        delete_learner(db, world.instructor, find_learner(db, world.learner_code), world.clips_dir, T0)
    assert world.clip.exists()
    with world.sessions.begin() as db:
        counts = delete_learner(db, world.admin, find_learner(db, world.learner_code), world.clips_dir, T0)
    assert counts == {"sessions": 1, "attempts": 1, "consents": 1, "files": 2}
    assert not world.clip.exists() and not world.recording.exists() and not world.clip.parent.exists()
    with world.sessions() as db:
        for model in (TrainingSession, Attempt, Consent):
            assert db.scalar(select(func.count()).select_from(model)) == 0
        assert db.scalar(select(User.id).where(User.login == "stu")) is None
        assert db.scalar(select(Learner.code)) == world.other_learner_code
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "delete:learner_record"))
        assert entry.actor == "admin:root" and entry.resource == "learner:L001" and entry.detail == counts
