"""A learner's own overrides and scenario assignments are in their export and go with their deletion;
their class's stay (they are about the class, not the learner)."""

from __future__ import annotations

import json
import zipfile
from datetime import timedelta
from pathlib import Path

from privacy_world import T0, World
from sqlalchemy import select

from lab.audit import chain
from lab.auth.access import find_learner
from lab.privacy.learner_data import delete_learner, export_learner
from lab.store.attempts import save_overrides
from lab.store.models import AdaptiveOverride, ScenarioAssignment
from scenarios.overrides import Overrides
from scenarios.paramspace import Space
from scenarios.spec import get_spec
from station_app.instructor.assignments import assign

SPACE = Space(get_spec("crane.bridge_lift"))


def _adapt(world: World) -> None:
    """Overrides and assignments for the learner L001 and for their class A1."""
    with world.sessions.begin() as db:
        save_overrides(
            db, SPACE, Overrides(pins={"wind_mps": 4.0}), "instructor:teacher", learner_code="L001"
        )
        save_overrides(db, SPACE, Overrides(band=(0.6, 0.8)), "instructor:teacher", class_code="A1")
        assign(db, world.instructor, SPACE.spec.id, learner_code="L001", note="practise the corridor")
        assign(db, world.instructor, SPACE.spec.id, class_code="A1")


def test_the_export_holds_the_learners_own_overrides_and_assignments(world: World, tmp_path: Path) -> None:
    _adapt(world)
    with world.sessions.begin() as db:
        export = export_learner(
            db, world.student, find_learner(db, "L001"), world.clips_dir, T0 + timedelta(days=1)
        )
    export.write_zip(tmp_path / "me.zip")
    data = json.loads(zipfile.ZipFile(tmp_path / "me.zip").read("learner.json"))
    [override] = data["adaptive_overrides"]
    assert override["scenario"] == SPACE.spec.id and override["overrides"]["pins"] == {"wind_mps": 4.0}
    assert override["updated_by"] == "instructor:teacher" and override["updated_at"]
    [assignment] = data["scenario_assignments"]
    assert assignment["note"] == "practise the corridor" and assignment["created_by"] == "instructor:teacher"
    assert assignment["ended_at"] is None


def test_deleting_the_learner_deletes_their_overrides_and_assignments_only(world: World) -> None:
    _adapt(world)
    with world.sessions.begin() as db:
        delete_learner(db, world.admin, find_learner(db, "L001"), world.clips_dir, T0)
    with world.sessions() as db:
        overrides = list(db.scalars(select(AdaptiveOverride)))
        assignments = list(db.scalars(select(ScenarioAssignment)))
        assert [(o.learner_id, o.class_id is not None) for o in overrides] == [(None, True)]
        assert [(a.learner_id, a.class_id is not None) for a in assignments] == [(None, True)]
        assert chain.verify(db).ok
