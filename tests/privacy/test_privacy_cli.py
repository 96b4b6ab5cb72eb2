"""The privacy commands end to end, in process: bootstrap, login, users, consent, learner, purge, audit."""

from __future__ import annotations

import io
import json
import logging
import os
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from lab.store.engine import make_engine, make_session_factory
from lab.store.models import AuditEntry
from station_app.cli.main import main

SHANGHAI = ZoneInfo("Asia/Shanghai")

ADMIN_PASSWORD = "admin-password-1"
AUDITOR_PASSWORD = "auditor-password-1"


@pytest.fixture
def shixun(sqlite_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """Run `shixun --db <url> --json ...`; returns (exit code, parsed JSON or None, stderr)."""

    def run(*args: str, stdin: str = "") -> tuple[int, object, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = main(["--db", sqlite_url, "--json", "--lang", "en", *args])
        out, err = capsys.readouterr()
        return code, json.loads(out) if out.strip() else None, err

    return run


@pytest.fixture
def logged_in_admin(shixun):
    assert (
        shixun("users", "add", "root", "--role", "admin", "--password-stdin", stdin=f"{ADMIN_PASSWORD}\n")[0]
        == 0
    )
    assert shixun("login", "root", "--password-stdin", stdin=f"{ADMIN_PASSWORD}\n")[0] == 0
    return shixun


def test_bootstrap_login_and_accounts(logged_in_admin, monkeypatch: pytest.MonkeyPatch) -> None:
    shixun = logged_in_admin
    code, who, _ = shixun("whoami")
    assert code == 0 and who == {"login": "root", "role": "admin"}
    token = Path(os.environ["XDG_DATA_HOME"]) / "shixun" / "login.token"
    assert token.stat().st_mode & 0o777 == 0o600
    assert shixun("users", "add", "t1", "--role", "instructor", "--name", "Wang Li", "--no-password")[0] == 0
    assert shixun("users", "role", "t1", "mentor")[1] == {"login": "t1", "role": "mentor"}
    _, users, _ = shixun("users", "list")
    assert [(u["login"], u["role"]) for u in users] == [("root", "admin"), ("t1", "mentor")]
    assert shixun("logout")[0] == 0
    code, _, err = shixun("users", "list")
    assert code == 2 and err.strip() == "shixun: not logged in or the login expired: run `shixun login`"
    code, _, err = shixun("login", "root", "--password-stdin", stdin="wrong\n")
    assert code == 2 and "wrong login or password" in err and "Traceback" not in err


def test_second_bootstrap_and_weak_password_are_one_line_errors(logged_in_admin) -> None:
    shixun = logged_in_admin
    assert shixun("logout")[0] == 0
    code, _, err = shixun(
        "users", "add", "eve", "--role", "admin", "--password-stdin", stdin="whatever-long\n"
    )
    assert code == 2 and err.count("\n") == 1 and "not logged in" in err
    assert shixun("login", "root", "--password-stdin", stdin=f"{ADMIN_PASSWORD}\n")[0] == 0
    code, _, err = shixun("users", "add", "eve", "--role", "student", "--password-stdin", stdin="short\n")
    assert code == 2 and "at least 8 characters" in err


def test_consent_learner_export_delete_and_purge(logged_in_admin, tmp_path: Path) -> None:
    shixun = logged_in_admin
    assert shixun("learner", "add", "L9", "--under-14")[0] == 0
    code, _, err = shixun("consent", "grant", "L9", "--kind", "live_video", "--by", "self")
    assert code == 2 and "guardian" in err
    code, status, _ = shixun("consent", "grant", "L9", "--kind", "live_video", "--by", "guardian")
    assert code == 0 and status == {
        "learner": "L9",
        "under_14": True,
        "live_video": True,
        "store_clips": False,
    }
    assert shixun("consent", "withdraw", "L9", "--kind", "live_video")[1]["live_video"] is False
    code, _, _ = shixun("learner", "export", "L9", "--out", str(tmp_path / "l9.zip"))
    assert (
        code == 0
        and json.loads(zipfile.ZipFile(tmp_path / "l9.zip").read("learner.json"))["learner"]["under_14"]
    )
    code, _, err = shixun("learner", "export", "L9", "--out", str(tmp_path / "l9.zip"))
    assert code == 2 and "not overwriting" in err
    assert shixun("users", "add", "m1", "--role", "mentor", "--no-password")[0] == 0
    # Tomorrow 09:00 in Shanghai: an invitation still to come, so `revoke` has one to withdraw.
    tomorrow = (datetime.now(SHANGHAI) + timedelta(days=1)).date().isoformat()
    code, invitation, _ = shixun(
        "learner", "invite", "L9", "--mentor", "m1", "--start", f"{tomorrow}T09:00+08:00", "--hours", "3"
    )
    assert (
        code == 0
        and invitation["valid_until"] == f"{tomorrow}T12:00:00+08:00"
        and invitation["video"] is False
    )
    with pytest.raises(SystemExit):  # a time without its zone is refused by the parser
        shixun("learner", "invite", "L9", "--mentor", "m1", "--start", f"{tomorrow}T09:00")
    assert shixun("learner", "revoke", "L9", "--mentor", "m1")[1]["revoked"] == 1
    code, plan, _ = shixun("purge")
    assert code == 0 and plan["applied"] is False and plan["retention_days"]["audit_log"] == 365
    assert shixun("learner", "delete", "L9")[1]["deleted"] is False
    assert shixun("learner", "delete", "L9", "--yes")[1]["deleted"] is True
    code, _, err = shixun("learner", "export", "L9", "--out", str(tmp_path / "again.zip"))
    assert code == 2 and "no learner with code L9" in err


def test_purge_refuses_a_nonsensical_setting(logged_in_admin, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHIXUN_PRIVACY__AUDIT_RETENTION_DAYS", "30")
    code, _, err = logged_in_admin("purge", "--apply")
    assert code == 2 and "at least 184 days" in err and err.count("\n") == 1


def test_audit_verify_finds_a_tampered_entry(
    logged_in_admin, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    shixun = logged_in_admin
    code, _, err = shixun("audit", "verify")
    assert code == 2 and "may not view audit_log" in err  # the admin is not the auditor
    assert (
        shixun("users", "add", "dpo", "--role", "auditor", "--password-stdin", stdin=f"{AUDITOR_PASSWORD}\n")[
            0
        ]
        == 0
    )
    monkeypatch.setenv("SHIXUN_USER", "dpo")
    monkeypatch.setenv("SHIXUN_PASSWORD", AUDITOR_PASSWORD)
    code, result, _ = shixun("audit", "verify")
    assert code == 0 and result["ok"]
    _, head, _ = shixun("audit", "head")
    anchored = f"{head['seq']}:{head['hash']}"
    assert shixun("audit", "verify", "--expect-head", anchored)[0] == 0
    engine = make_engine(sqlite_url)
    with make_session_factory(engine).begin() as db:
        db.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(actor="admin:someone-else"))
    engine.dispose()
    code, result, _ = shixun("audit", "verify")
    assert code == 1 and result["ok"] is False and result["first_bad_seq"] == 3
    with pytest.raises(SystemExit) as bad_argument:  # argparse's one-line error
        shixun("audit", "verify", "--expect-head", "nonsense")
    assert bad_argument.value.code == 2
    _, rows, _ = shixun("audit", "show", "--last", "3")
    assert len(rows) == 3 and rows[-1]["action"] == "view:audit_log"


def test_no_personal_data_in_application_logs(
    shixun, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    """Names, logins and passwords never reach the logging system, at any level.

    SQLAlchemy's own statement logging is left out: when enabled it prints bound parameters, which
    the store's engine would need `hide_parameters=True` to suppress (reported to the store owner).
    """
    caplog.set_level(logging.DEBUG)
    secrets = {"Zhang Wei 张伟", "zhangwei", "pw-zhang-123", ADMIN_PASSWORD, "Li Na 李娜"}
    shixun("users", "add", "root", "--role", "admin", "--password-stdin", stdin=f"{ADMIN_PASSWORD}\n")
    shixun("login", "root", "--password-stdin", stdin=f"{ADMIN_PASSWORD}\n")
    shixun(
        "users",
        "add",
        "zhangwei",
        "--role",
        "student",
        "--name",
        "Zhang Wei 张伟",
        "--password-stdin",
        stdin="pw-zhang-123\n",
    )
    shixun("users", "add", "lina", "--role", "instructor", "--name", "Li Na 李娜", "--no-password")
    shixun("learner", "add", "L5", "--user", "zhangwei")
    shixun("login", "zhangwei", "--password-stdin", stdin="wrong-password\n")
    shixun("login", "zhangwei", "--password-stdin", stdin="pw-zhang-123\n")
    shixun("consent", "grant", "L5", "--kind", "store_clips", "--by", "self")
    shixun("learner", "export", "L5", "--out", str(tmp_path / "l5.zip"))
    shixun("users", "list")  # refused to a student: the refusal must not log names either
    records = [r for r in caplog.records if not r.name.startswith("sqlalchemy")]
    text = "\n".join(f"{r.name} {r.getMessage()} {r.args!r}" for r in records)
    assert {"lab.auth.accounts", "lab.privacy.learner_data"} <= {r.name for r in records}  # they do log
    assert not [s for s in secrets if s in text]


def test_changing_ones_password_ends_the_login(logged_in_admin) -> None:
    shixun = logged_in_admin
    code, result, _ = shixun("users", "passwd", "--password-stdin", stdin="a brand new password\n")
    assert code == 0 and result == {"login": "root", "password_changed": True}
    code, _, err = shixun("whoami")
    assert code == 2 and "not logged in" in err
    assert shixun("login", "root", "--password-stdin", stdin="a brand new password\n")[0] == 0
