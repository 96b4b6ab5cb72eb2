"""The instructor console offscreen with pytest-qt on a real SQLite store: log in, the roster with
skill estimates and progress after real attempts, an override that changes the next attempt's
parameters (seen in the generator's explanation, then in the station app's next attempt), scenario
assignment, the permission matrix, and the live grid through a real lab relay (CurveZMQ, store-backed
access) with a fault request. Screenshots go to tests/_artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest
from lab_world import PASSWORDS, screenshot
from live_lab_world import LiveLab
from sqlalchemy import select

from lab.auth.access import PermissionDenied
from lab.auth.accounts import actor_of, find_user
from lab.server.requests import CONTROL_ACTION
from lab.store.models import AuditEntry, Learner
from scenarios.overrides import Overrides
from scenarios.paramspace import Space
from scenarios.spec import get_spec
from sim.runner import make_operator
from station_app.instructor.app import TITLE, admit
from station_app.instructor.assignments import assign
from station_app.instructor.common import ConsoleContext
from station_app.instructor.data import current_overrides, save_overrides
from station_app.instructor.window import InstructorWindow
from station_app.runtime.session import SessionSettings, StationSession
from station_app.station.app import scenario_for
from station_app.station.window import StationSetup, StationWindow
from station_app.views.i18n import Language
from station_app.views.login import LoginDialog

CRANE = get_spec("crane.bridge_lift")
SPACE = Space(CRANE)
ANY = "tcp://127.0.0.1:*"


def _actor(lab_store, login: str):
    with lab_store() as db:
        return actor_of(find_user(db, login))


def _console(qtbot, lab_store, link=None, lang="en") -> InstructorWindow:
    window = InstructorWindow(
        ConsoleContext(lab_store, _actor(lab_store, "wang"), SPACE, Language(lang), link)
    )
    qtbot.addWidget(window)
    window.show()
    return window


def _attempts(lab_store, learner: str, n: int) -> None:
    """Real headless attempts (autopilot, no poses) so the learner has a history."""
    for _ in range(n):
        StationSession(lab_store, CRANE, learner, make_operator("autopilot:0.6", "crane")).run()


def test_only_instructors_log_in(qtbot, lab_store) -> None:
    dialog = LoginDialog(lab_store, "en", TITLE, admit)
    qtbot.addWidget(dialog)
    dialog.login.setText("li")
    dialog.password.setText(PASSWORDS["li"])
    dialog.try_login()
    assert dialog.actor is None and "only instructor accounts" in dialog.error.text()
    dialog.login.setText("wang")
    dialog.password.setText(PASSWORDS["wang"])
    dialog.try_login()
    assert dialog.actor is not None and dialog.actor.login == "wang"


@pytest.mark.slow
def test_roster_shows_estimates_and_progress(qtbot, lab_store) -> None:
    _attempts(lab_store, "L001", 2)
    window = _console(qtbot, lab_store)
    tab = window.roster
    assert [r.code for r in tab.rows] == ["L001", "L002"]
    l001 = tab.rows[0]
    assert l001.attempts == 2 and tab.table.item(0, 2).text() == "2"
    assert all(len(points) == 3 for points in l001.trajectory.values())  # start, after 1, after 2
    assert l001.skills != tab.rows[1].skills  # L001's history moved the estimates
    tab.table.selectRow(0)
    assert len(tab.scores_chart.series["score"]) == 2
    assert set(tab.skills_chart.series) == {s.title.en for s in CRANE.skills}
    screenshot(window, "instructor_roster_en.png")
    window.switch.setCurrentIndex(0)
    assert tab.table.horizontalHeaderItem(1).text() == "学员"
    screenshot(window, "instructor_roster_zh.png")


@pytest.mark.slow
def test_an_override_changes_the_next_attempt(qtbot, lab_store, tmp_path: Path) -> None:
    window = _console(qtbot, lab_store)
    tab = window.difficulty
    window.tabs.setCurrentWidget(tab)
    tab.preview_learner.setCurrentText("L001")
    tab.preview()
    before = {p["name"]: p["value"] for p in tab.explanation["parameters"]}
    assert before["wind_mps"] != 9.5

    # Pin the wind and bound the corridor for learner L001, in the table, and save.
    tab.scope.setCurrentIndex(next(i for i, (code, _) in enumerate(tab.scopes) if code == "L001"))
    names = list(CRANE.parameters)
    tab.params.item(names.index("wind_mps"), 4).setText("9.5")
    tab.params.item(names.index("corridor_width_m"), 2).setText("2.0")
    tab.params.item(names.index("corridor_width_m"), 3).setText("2.5")
    tab.band_on.setChecked(True)
    tab.save_button.click()
    assert window.statusBar().currentMessage() == "saved learner:L001/crane.bridge_lift"

    # The generator's explanation next to the values it chose: the pin and the bound are in force.
    chosen = {p["name"]: p for p in tab.explanation["parameters"]}
    assert chosen["wind_mps"]["value"] == 9.5 and 2.0 <= chosen["corridor_width_m"]["value"] <= 2.5
    assert tab.explanation["overrides"]["pins"] == {"wind_mps": 9.5}
    row = names.index("wind_mps")
    assert tab.plan.item(row, 1).text() == "9.5 m/s" and tab.plan.item(row, 2).text()
    assert "instructor settings in force: bounds, pins, band" in tab.summary.text()
    screenshot(window, "instructor_difficulty_en.png")

    # A bad value is one line in the status bar, nothing saved.
    tab.params.item(names.index("wind_mps"), 4).setText("windy")
    tab.save_button.click()
    assert window.statusBar().currentMessage() == "⚠ value for wind_mps is not a number: windy"

    # The station's next attempt for L001 runs with those parameters.
    station = StationWindow(
        StationSetup(lab_store, CRANE, "L001", "autopilot", None, SessionSettings(recordings_dir=tmp_path)),
        "en",
    )
    qtbot.addWidget(station)
    station.start_attempt()
    station.control_timer.stop()
    params = station.session.prepared.params
    assert params["wind_mps"] == 9.5 and 2.0 <= params["corridor_width_m"] <= 2.5
    assert params == {k: chosen[k]["value"] for k in names} | {"faults": params["faults"]}
    station.close()


def test_the_practice_profile_is_pinned_in_the_console_and_other_settings_survive_a_save(
    qtbot, lab_store
) -> None:
    actor = _actor(lab_store, "wang")
    set_elsewhere = Overrides(
        max_change=0.1, faults_out=frozenset({"drive_lag"}), focus_skill="path_planning"
    )
    with (
        lab_store() as db,
        db.begin(),
    ):  # e.g. with `shixun scenarios override` (fields the tab does not show)
        save_overrides(db, actor, SPACE, set_elsewhere, "L001", None)
    window = _console(qtbot, lab_store, lang="zh")
    tab = window.difficulty
    window.tabs.setCurrentWidget(tab)
    assert [tab.profile.itemText(i) for i in range(1, tab.profile.count())] == ["巩固", "拓展"]
    tab.scope.setCurrentIndex(next(i for i, (code, _) in enumerate(tab.scopes) if code == "L001"))
    tab.profile.setCurrentIndex(tab.profile.findData("stretch"))
    tab.save_button.click()
    with lab_store() as db:
        stored = current_overrides(db, SPACE, "L001", None)
    assert stored == Overrides(
        max_change=0.1, faults_out=frozenset({"drive_lag"}), focus_skill="path_planning", profile="stretch"
    )
    tab.preview_learner.setCurrentText("L001")
    tab.preview()
    assert tab.explanation["profile"] | {"evidence": None} == {
        "id": "stretch",
        "source": "instructor",
        "evidence": None,
        "text": tab.explanation["profile"]["text"],
    }
    assert "练习强度「拓展」" in tab.summary.text() and "教师指定" in tab.summary.text()


def test_assignments_and_the_permission_matrix(qtbot, lab_store) -> None:
    window = _console(qtbot, lab_store, lang="zh")
    tab = window.difficulty
    tab.scope.setCurrentIndex(0)  # class 2A
    tab.assign_button.click()
    assert window.statusBar().currentMessage() == "已指派 crane.bridge_lift 给 class:2A"
    assert scenario_for(lab_store, "L002", "none") == "crane.bridge_lift"
    window.roster.refresh()
    assert window.roster.table.item(1, 5).text() == "crane.bridge_lift"
    screenshot(window, "instructor_difficulty_zh.png")
    # A learner outside the instructor's classes: refused and on record.
    with lab_store.begin() as db:
        db.add(Learner(code="X9"))
    wang = _actor(lab_store, "wang")
    with pytest.raises(PermissionDenied), lab_store() as db, db.begin():
        save_overrides(db, wang, SPACE, Overrides(pins={"wind_mps": 1.0}), "X9", None)
    with pytest.raises(PermissionDenied), lab_store() as db, db.begin():
        assign(db, wang, "crane.bridge_lift", "X9")


@pytest.mark.slow
def test_live_grid_through_the_lab_relay(qtbot, lab_store) -> None:
    """A station session publishes through a real relay (CurveZMQ, store-backed access); the console
    sees its state and cues, and its fault request goes through the lab server's request endpoint to
    the running station (its StationLink inbox), which applies it."""
    lab = LiveLab(lab_store)
    try:
        lab.session.start()
        window = _console(qtbot, lab_store, lab.link)
        window.tabs.setCurrentWidget(window.live)
        seen = _seen(window, lab)
        qtbot.waitUntil(lambda: seen(lambda card: card.snapshot is not None), timeout=20_000)
        qtbot.waitUntil(lambda: seen(lambda card: card.banner.cue is not None), timeout=60_000)
        card = window.live.cards[lab.key]
        assert card.snapshot["t"] <= lab.session.state.t and "step:" in card.state.text()
        screenshot(window, "instructor_live_en.png")
        card.fault.setCurrentIndex(card.fault.findData("sudden_gust"))
        card.inject_button.click()
        assert not window.statusBar().currentMessage().startswith("⚠")
        # The lab server passes it to the station, whose runtime applies it at a step.
        qtbot.waitUntil(lambda: seen(lambda _card: bool(lab.applied)), timeout=20_000)
        assert lab.applied[0]["accepted"] and lab.applied[0]["fault"] == "sudden_gust"
        assert (
            lab.applied[0]["author"] == lab.link.identity["user"] and lab.applied[0]["role"] == "instructor"
        )
        assert window.statusBar().currentMessage() == "asked station-01 to inject sudden_gust"
        lab.audit.close()
        with lab_store() as db:
            entries = db.scalars(select(AuditEntry).where(AuditEntry.action == CONTROL_ACTION)).all()
        assert [(e.actor, e.detail["fault"]) for e in entries] == [("instructor:wang", "sudden_gust")]
        window.close()
    finally:
        lab.close()


def _seen(window: InstructorWindow, lab: LiveLab):
    """A waitUntil condition on the session's card that also steps the station and polls the grid."""

    def seen(condition) -> bool:
        lab.session.step()
        window.live.poll()
        return lab.key in window.live.cards and condition(window.live.cards[lab.key])

    return seen
