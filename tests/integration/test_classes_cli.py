"""`shixun class add|list` end to end in process, on SQLite and PostgreSQL: rights, audit, errors."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from lab.store.engine import make_engine, make_session_factory
from lab.store.models import AuditEntry, SchoolClass
from station_app.cli.main import main

ADMIN_PASSWORD = "admin-password-1"


@pytest.fixture
def shixun(db_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """Run `shixun --db <url> --json ...`; returns (exit code, parsed JSON or None, stderr)."""

    def run(*args: str, stdin: str = "") -> tuple[int, object, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = main(["--db", db_url, "--json", "--lang", "en", *args])
        out, err = capsys.readouterr()
        return code, json.loads(out) if out.strip() else None, err

    assert (
        run("users", "add", "root", "--role", "admin", "--password-stdin", stdin=f"{ADMIN_PASSWORD}\n")[0]
        == 0
    )
    assert run("login", "root", "--password-stdin", stdin=f"{ADMIN_PASSWORD}\n")[0] == 0
    assert (
        run("users", "add", "wang", "--role", "instructor", "--password-stdin", stdin="wang-password-1\n")[0]
        == 0
    )
    assert run("users", "add", "zhou", "--role", "mentor", "--no-password")[0] == 0
    return run


def _store(db_url: str):
    return make_session_factory(make_engine(db_url))


def test_admin_adds_classes_learners_join_them_and_list_counts_them(shixun, db_url) -> None:
    assert shixun("class", "add", "2A", "--name", "起重 2A", "--instructor", "wang")[1] == {
        "code": "2A",
        "name": "起重 2A",
        "instructor": "wang",
    }
    assert shixun("class", "add", "2B", "--name", "Crane 2B")[0] == 0
    assert shixun("learner", "add", "L001", "--class", "2A")[0] == 0
    assert shixun("learner", "add", "L002", "--class", "2A")[0] == 0
    code, classes, _ = shixun("class", "list")
    assert code == 0 and classes == [
        {"code": "2A", "name": "起重 2A", "instructor": "wang", "learners": 2},
        {"code": "2B", "name": "Crane 2B", "instructor": None, "learners": 0},
    ]
    with _store(db_url)() as db:
        audited = db.scalars(select(AuditEntry).where(AuditEntry.resource.like("class:%"))).all()
    assert [(e.actor, e.action, e.resource) for e in audited] == [
        ("admin:root", "edit:accounts", "class:2A"),
        ("admin:root", "edit:accounts", "class:2B"),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("class", "add", "2A", "--name", "again"), "class code 2A exists already"),
        (("class", "add", "2C", "--name", "x", "--instructor", "zhou"), "zhou is not an instructor account"),
        (("class", "add", "2C", "--name", "x", "--instructor", "nobody"), "no user with login nobody"),
        (("class", "add", "x" * 33, "--name", "x"), "class code must have 1-32 characters"),
        (("class", "add", "2C", "--name", "  "), "class name must have 1-200 characters"),
        (("learner", "add", "L009", "--class", "9Z"), "no class with code 9Z"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(shixun, db_url, args, message) -> None:
    assert shixun("class", "add", "2A", "--name", "Crane 2A")[0] == 0
    code, _, err = shixun(*args)
    assert code == 2 and err.count("\n") == 1 and message in err and "Traceback" not in err
    with _store(db_url)() as db:
        assert db.scalars(select(SchoolClass.code)).all() == ["2A"]


def test_instructors_list_but_may_not_add_and_the_refusal_is_on_record(shixun, db_url, monkeypatch) -> None:
    assert shixun("class", "add", "2A", "--name", "Crane 2A", "--instructor", "wang")[0] == 0
    monkeypatch.setenv("SHIXUN_USER", "wang")
    monkeypatch.setenv("SHIXUN_PASSWORD", "wang-password-1")
    assert [c["code"] for c in shixun("class", "list")[1]] == ["2A"]
    code, _, err = shixun("class", "add", "2B", "--name", "Crane 2B")
    assert code == 2 and err.count("\n") == 1 and "may not edit accounts" in err
    with _store(db_url)() as db:
        denied = db.scalars(select(AuditEntry).where(AuditEntry.action == "denied:edit:accounts")).all()
        assert [(e.actor, e.resource) for e in denied] == [("instructor:wang", "class:2B")]
        assert db.scalars(select(SchoolClass.code)).all() == ["2A"]
