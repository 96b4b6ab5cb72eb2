"""The admin app, offscreen with pytest-qt, on a real SQLite store: log in, register, book (with the
conflict message), device health with alerts, a CP-SAT proposal accepted into bookings; a screenshot
goes to tests/_artifacts/."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PyQt6.QtCore import QDateTime
from qt_login_world import login_dialog, try_login
from sqlalchemy import select

from lab.auth.accounts import actor_of, create_user, find_user
from lab.health.monitor import record_heartbeat
from lab.health.status import Thresholds
from lab.scheduling.registry import add_equipment, get_equipment
from lab.store.models import AuditEntry, Booking, EquipmentKind, Learner, Role, SchoolClass
from lab.store.types import utc_now
from station_app.admin.app import AdminWindow
from station_app.admin.common import AdminContext
from station_app.admin.login import TITLE, admit
from station_app.admin.support import admin_settings, open_store
from station_app.config import load_config
from station_app.views.login import LoginDialog

ARTIFACTS = Path(__file__).resolve().parents[1] / "_artifacts"
CRANE = "crane.bridge_lift"


@pytest.fixture
def store(sqlite_url: str):
    sessions = open_store(sqlite_url)
    now = utc_now()
    with sessions.begin() as session:
        admin = create_user(session, None, "root", "Root", Role.ADMIN, "correct horse battery staple", now)
        create_user(
            session,
            actor_of(admin),
            "wang",
            "Wang",
            Role.INSTRUCTOR,
            "teach-cranes-2026",
            now,
        )
        session.add(SchoolClass(code="2A", name="Crane 2A"))
        session.flush()
        class_id = session.scalar(select(SchoolClass.id).where(SchoolClass.code == "2A"))
        session.add_all([Learner(code="L001", class_id=class_id), Learner(code="L002", class_id=class_id)])
        add_equipment(session, EquipmentKind.STATION, "station 3", "Lab 1", [CRANE])
    yield sessions
    sessions.kw["bind"].dispose()


def _actor_named(store, login: str):
    with store() as session:
        return actor_of(find_user(session, login))


@pytest.fixture
def window(qtbot, store):
    settings = admin_settings(load_config())
    win = AdminWindow(AdminContext(store, settings, _actor_named(store, "root"), "en"))
    qtbot.addWidget(win)
    win.show()
    return win


def test_login_needs_the_right_password_and_a_role_that_may_see_equipment(qtbot, store) -> None:
    dialog = login_dialog(qtbot, store, TITLE, admit)
    try_login(dialog, "root", "wrong")
    assert dialog.actor is None and "wrong login or password" in dialog.error.text()
    try_login(dialog, "root", "correct horse battery staple")
    assert dialog.actor is not None and dialog.actor.role == Role.ADMIN
    assert dialog.result() == LoginDialog.DialogCode.Accepted


def test_login_before_any_account_exists_says_how_to_create_one(qtbot, sqlite_url: str) -> None:
    sessions = open_store(sqlite_url)
    dialog = login_dialog(qtbot, sessions, TITLE, admit)
    dialog.try_login()
    assert "shixun users add LOGIN --role admin" in dialog.error.text()
    sessions.kw["bind"].dispose()


def test_instructor_may_look_but_not_change(qtbot, store) -> None:
    settings = admin_settings(load_config())
    win = AdminWindow(AdminContext(store, settings, _actor_named(store, "wang"), "en"))
    qtbot.addWidget(win)
    win.equipment.name.setText("station 9")
    win.equipment.add_button.click()
    assert "may not edit equipment" in win.statusBar().currentMessage()
    assert win.equipment.table.rowCount() == 1


def _set(edit, moment) -> None:
    edit.setDateTime(QDateTime(moment.date(), moment.time()))


def test_register_book_conflict_health_and_timetable(qtbot, window, store, tmp_path: Path) -> None:
    tz: ZoneInfo = window.ctx.settings.tz
    # Equipment: register a second station through the form.
    window.equipment.name.setText("station 4")
    window.equipment.location.setText("Lab 1")
    window.equipment.scenarios.setText(CRANE)
    window.equipment.add_button.click()
    names = [window.equipment.table.item(r, 0).text() for r in range(window.equipment.table.rowCount())]
    assert names == ["station 3", "station 4"]
    window.equipment.table.selectRow(1)
    window.equipment.rules.setText("max_minutes=120 checkin=true")
    window.equipment.rules_button.click()
    assert window.statusBar().currentMessage() == "station 4 rules: max_minutes=120, checkin=True"
    window.equipment.rules.setText("max_minutes=-1")
    window.equipment.rules_button.click()
    assert "max_minutes must be a number ≥ 0" in window.statusBar().currentMessage()

    # Bookings: book station 3 for class 2A tomorrow 14:00–15:30, then collide with it.
    tomorrow = (utc_now().astimezone(tz) + timedelta(days=1)).replace(
        hour=14, minute=0, second=0, microsecond=0
    )
    tab = window.bookings
    tab.equipment.setCurrentText("station 3")
    tab.party.setText("2A")
    _set(tab.start, tomorrow)
    _set(tab.end, tomorrow + timedelta(minutes=90))
    tab.book_button.click()
    assert window.statusBar().currentMessage() == "booked 1"
    assert tab.table.rowCount() == 1 and tab.table.item(0, 4).text() == "class 2A"
    tab.party_kind.setCurrentIndex(1)
    tab.party.setText("L001")
    _set(tab.start, tomorrow + timedelta(minutes=30))
    tab.book_button.click()
    assert "station 3 is booked 14:00–15:30 by class 2A" in window.statusBar().currentMessage()

    # Health: station 3 went silent before its booking; station 4 is fine.
    limits = Thresholds()
    with store.begin() as session:
        record_heartbeat(session, "station 3", {"fps": 30}, utc_now() - timedelta(minutes=5), limits)
        record_heartbeat(session, "station 4", {"fps": 12}, utc_now(), limits)
        station_3 = get_equipment(session, "station 3")
        now = utc_now()
        session.add(
            Booking(
                equipment_id=station_3.id,
                starts_at=now - timedelta(minutes=5),
                ends_at=now + timedelta(minutes=30),
            )
        )
    window.tabs.setCurrentWidget(window.health)
    states = {window.health.table.item(r, 0).text(): window.health.table.item(r, 1).text() for r in range(2)}
    assert states == {"station 3": "offline", "station 4": "degraded"}
    assert window.health.alerts.count() == 1
    assert window.health.alerts.item(0).text().startswith("station 3 is offline but booked")

    # Timetable: propose next week for class 2A off the GUI thread, then accept it.
    instructors = tmp_path / "instructors.toml"
    instructors.write_text(
        f'[[instructors]]\nlogin = "wang"\nscenarios = ["{CRANE}"]\n'
        'available = [{day = "mon", from = "08:00", to = "16:00"}, {day = "tue", from = "08:00", to = "16:00"}]\n',
        encoding="utf-8",
    )
    plan = window.timetable
    window.tabs.setCurrentWidget(plan)
    plan.instructors.setText(str(instructors))
    plan.classes.setText("2A")
    plan.scenarios.setText(CRANE)
    window.ctx.settings = replace(window.ctx.settings, solver_seconds=5.0)
    plan.propose_button.click()
    with qtbot.waitSignal(plan.worker.finished, timeout=60_000):
        pass
    qtbot.waitUntil(lambda: plan.accept_button.isEnabled(), timeout=10_000)
    assert plan.table.rowCount() == len(plan.proposal["entries"]) >= 1
    assert "best found in" in plan.progress.text()

    ARTIFACTS.mkdir(exist_ok=True)
    assert window.grab().save(str(ARTIFACTS / "admin_app.png"))

    plan.accept_button.click()
    assert window.statusBar().currentMessage().startswith(f"booked {len(plan.proposal['entries'])} sessions")
    with store() as session:
        audit = list(session.scalars(select(AuditEntry.action).where(AuditEntry.actor == "admin:root")))
    assert audit.count("edit:equipment") >= 3  # register, book, accept: each checked and audited
