"""The admin commands end to end on a real store: equipment, book, timetable, calendar; one-line errors."""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar
from scheduling_world import seed_lab

from lab.auth.accounts import actor_of, create_user
from lab.store.engine import make_engine, make_session_factory
from lab.store.migrate import upgrade
from lab.store.models import AuditEntry, Role
from lab.store.types import utc_now
from station_app.cli.main import main

MONDAY = date.today() + timedelta(days=7 - date.today().weekday() + 28)  # weeks ahead: never in the past
WEEK = MONDAY.isoformat()


def day(n: int) -> str:
    return (MONDAY + timedelta(days=n)).isoformat()


def booking(station: str, start: str, end: str, *who: str) -> tuple[str, ...]:
    """`book create STATION --from "WEEK start" --to "WEEK end" WHO…` (who books, how it repeats)."""
    return ("book", "create", station, "--from", f"{WEEK} {start}", "--to", f"{WEEK} {end}", *who)


ADMIN_PASSWORD, TEACHER_PASSWORD = "correct horse battery staple", "teach-cranes-2026"


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The lab, plus an admin (who runs the commands) and an instructor with passwords, built once
    (migrations and password hashing are the slow part) and copied for each test."""
    path = tmp_path_factory.mktemp("seeded") / "shixun.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    with make_session_factory(engine).begin() as session:
        root = create_user(session, None, "root", "Root", Role.ADMIN, ADMIN_PASSWORD, utc_now())
        create_user(
            session, actor_of(root), "teacher", "Teacher", Role.INSTRUCTOR, TEACHER_PASSWORD, utc_now()
        )
        seed_lab(session)
    engine.dispose()  # the last connection to close checkpoints the WAL into the main file
    assert not path.with_name("shixun.db-wal").exists()
    return path


@pytest.fixture
def store(seeded_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A private copy of the seeded store, with the admin logged in through the environment."""
    copy = tmp_path / "shixun.db"
    shutil.copyfile(seeded_file, copy)
    monkeypatch.setenv("SHIXUN_USER", "root")
    monkeypatch.setenv("SHIXUN_PASSWORD", ADMIN_PASSWORD)
    return f"sqlite:///{copy}"


def shixun(capsys, store: str, *args: str, lang: str = "en"):
    """Run `shixun --db … --json --lang … args`; returns (exit code, parsed stdout or text, stderr)."""
    code = main(["--db", store, "--json", "--lang", lang, *args])
    out, err = capsys.readouterr()
    try:
        return code, json.loads(out) if out.strip() else None, err
    except json.JSONDecodeError:
        return code, out, err


def test_equipment_registry_round_trip(capsys, store: str) -> None:
    code, item, _ = shixun(
        capsys, store, "equipment", "add", "edge_box", "edge 1", "--location", "Lab 2",
        "--rule", "checkin=true", "--rule", "auto_release_minutes=10",
    )  # fmt: skip
    assert code == 0 and item["kind"] == "edge_box" and item["rules"]["auto_release_minutes"] == 10
    code, item, _ = shixun(
        capsys, store, "equipment", "set", "station 3", "--status", "unavailable", "--reason", "pendant"
    )
    assert item["status"] == "unavailable" and item["status_reason"] == "pendant"
    code, items, _ = shixun(capsys, store, "equipment", "list", "--kind", "station")
    assert [i["name"] for i in items] == ["station 3", "station 4"]
    assert shixun(capsys, store, "equipment", "train", "rig 1", "L001", "wang")[1]["trained"] == [
        "L001",
        "wang",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("equipment", "add", "robot", "x"), "unknown equipment kind robot"),
        (("equipment", "set", "station 9"), "no equipment named station 9"),
        (("equipment", "set", "station 3", "--rule", "max_minutes=-5"), "max_minutes must be a number ≥ 0"),
        (("equipment", "set", "station 3", "--rule", "colour=red"), "needs a number or true/false"),
        (("equipment", "heartbeat", "station 3", "{fps: 30}"), "not valid JSON"),
        (("equipment", "heartbeat", "station 3", '{"fps": -1}'), "fps must be a number"),
        (
            ("book", "create", "station 3", "--from", "tomorrow", "--to", "later", "--class", "2A"),
            "not a time: tomorrow",
        ),
        (("book", "cancel", "999"), "no booking with id 999"),
        (booking("station 3", "14:00", "15:00", "--class", "9Z"), "no class 9Z"),
        (
            ("timetable", "propose", "--week", day(1), "--instructors", "x.toml", "--needs", "n.json"),
            "is not a Monday",
        ),
        (("timetable", "accept", "missing.json"), "file not found: missing.json"),
        (("calendar", "export", "--learner", "L404"), "no learner L404"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, store: str, args, message: str) -> None:
    code, _, err = shixun(capsys, store, *args)
    assert code == 2
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_book_conflict_message_in_both_languages(capsys, store: str) -> None:
    code, made, _ = shixun(capsys, store, *booking("station 3", "14:00", "15:30", "--class", "2A"))
    assert code == 0 and made["booked"][0]["span"] == "14:00–15:30"
    args = booking("station 3", "15:00", "16:00", "--class", "2B")
    code, _, err = shixun(capsys, store, *args)
    assert code == 2 and "station 3 is booked 14:00–15:30 by class 2A" in err
    code, _, err = shixun(capsys, store, *args, lang="zh")
    assert code == 2 and "station 3 在 14:00–15:30 已被班级 2A 预约" in err


def test_recurring_booking_listing_and_calendar(capsys, store: str, tmp_path: Path) -> None:
    daily = booking("station 4", "09:00", "10:00", "--learner", "L001", "--repeat", "FREQ=DAILY;COUNT=5")
    code, made, err = shixun(capsys, store, *daily)
    assert code == 0 and len(made["booked"]) == 5
    code, listed, _ = shixun(
        capsys, store, "book", "list", "--from", WEEK, "--days", "3", "--learner", "L001"
    )
    assert [b["starts_at"][:10] for b in listed] == [day(0), day(1), day(2)]
    out = tmp_path / "l001.ics"
    code, _, err = shixun(
        capsys, store, "calendar", "export", "--learner", "L001", "--from", WEEK, "--out", str(out)
    )
    assert code == 0 and "exported 5 bookings" in err
    assert len(Calendar.from_ical(out.read_bytes()).walk("VEVENT")) == 5


def test_timetable_propose_then_accept(capsys, store: str, tmp_path: Path) -> None:
    instructors = tmp_path / "instructors.toml"
    instructors.write_text(
        '[[instructors]]\nlogin = "wang"\nscenarios = ["crane.bridge_lift", "robot.pick"]\n'
        'available = [{day = "mon", from = "08:00", to = "16:00"}, {day = "tue", from = "08:00", to = "12:00"}]\n'
        '[[instructors]]\nlogin = "li"\nscenarios = ["crane.bridge_lift"]\n'
        'available = [{day = "wed", from = "08:00", to = "16:00"}]\n',
        encoding="utf-8",
    )
    needs = tmp_path / "needs.json"
    needs.write_text(
        json.dumps(
            [
                {"party": "class:2A", "scenario": "crane.bridge_lift", "lag": 0.9},
                {"party": "class:2B", "scenario": "crane.bridge_lift", "lag": 0.1},
                {"party": "class:2A", "scenario": "robot.pick", "lag": 0.5},
            ]
        ),
        encoding="utf-8",
    )
    proposal = tmp_path / "proposal.json"
    code, data, err = shixun(
        capsys, store, "timetable", "propose", "--week", WEEK, "--instructors", str(instructors),
        "--needs", str(needs), "--seconds", "5", "--out", str(proposal),
    )  # fmt: skip
    assert code == 0, err
    assert data["status"] in ("optimal", "feasible") and "best found in" in err
    required = [e for e in data["entries"] if e["required"]]
    assert len(required) == 3
    hours = {"class:2A": 0.0, "class:2B": 0.0}
    for entry in data["entries"]:
        if entry["scenario"] == "crane.bridge_lift":
            hours[entry["parties"][0]] += 2
        assert entry["starts_at"][:10] in (day(0), day(1), day(2))
    assert hours["class:2A"] > hours["class:2B"]
    code, accepted, err = shixun(capsys, store, "timetable", "accept", str(proposal))
    assert code == 0 and len(accepted["booked"]) == len(data["entries"]) and accepted["skipped"] == []
    code, again, err = shixun(capsys, store, "timetable", "accept", str(proposal))
    assert code == 0 and again["booked"] == [] and "is booked" in err  # re-accepting books nothing twice


def test_commands_act_as_the_logged_in_admin_and_changes_are_audited(capsys, store: str, monkeypatch) -> None:
    code, _, _ = shixun(capsys, store, "equipment", "set", "station 3", "--location", "Lab 9")
    assert code == 0
    engine = make_engine(store)
    with make_session_factory(engine)() as session:
        entries = session.query(AuditEntry).filter(AuditEntry.action == "edit:equipment").all()
    engine.dispose()
    assert [(e.actor, e.resource) for e in entries] == [("admin:root", "equipment:station 3")]

    monkeypatch.setenv("SHIXUN_USER", "teacher")
    monkeypatch.setenv("SHIXUN_PASSWORD", TEACHER_PASSWORD)
    assert shixun(capsys, store, "equipment", "list")[0] == 0  # instructors may look
    code, _, err = shixun(capsys, store, *booking("station 3", "14:00", "15:00", "--class", "2A"))
    assert code == 2 and "may not edit equipment" in err

    monkeypatch.delenv("SHIXUN_USER")
    code, _, err = shixun(capsys, store, "book", "list")
    assert code == 2 and "not logged in" in err
