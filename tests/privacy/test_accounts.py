"""Accounts: first-admin bootstrap, argon2id hashes, audited role changes, login and login tokens."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from privacy_world import T0, World
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lab.auth import accounts, tokens
from lab.auth.access import PermissionDenied
from lab.auth.passwords import WeakPassword
from lab.store.models import AuditEntry, Role, User

PASSWORD = "correct horse battery"


def _entries(sessions: sessionmaker[Session], action: str) -> list[AuditEntry]:
    with sessions() as db:
        return list(
            db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq))
        )


def test_first_admin_bootstrap_only_on_an_empty_user_table(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as db, pytest.raises(accounts.AccountError, match="first account must be an admin"):
        accounts.create_user(db, None, "t", "T", Role.INSTRUCTOR, PASSWORD, T0)
    with sessions.begin() as db:
        admin = accounts.create_user(db, None, "root", "Root", Role.ADMIN, PASSWORD, T0)
        assert admin.password_hash.startswith("$argon2id$") and PASSWORD not in admin.password_hash
    with sessions.begin() as db, pytest.raises(accounts.AccountError, match="log in"):
        accounts.create_user(db, None, "root2", "Root 2", Role.ADMIN, PASSWORD, T0)
    [entry] = _entries(sessions, "edit:accounts")
    assert entry.actor == accounts.BOOTSTRAP_ACTOR and entry.resource == "user:root"


def test_role_changes_are_permission_changes_and_audited(world: World) -> None:
    with world.sessions.begin() as db:
        accounts.create_user(db, world.admin, "newbie", "New", Role.STUDENT, None, T0)
        accounts.set_role(db, world.admin, "newbie", Role.INSTRUCTOR, T0 + timedelta(minutes=1))
    created, changed = _entries(world.sessions, "edit:accounts")
    assert created.actor == "admin:root" and created.detail == {"role": "student"}
    assert changed.detail == {"from": "student", "to": "instructor"} and changed.resource == "user:newbie"
    with world.sessions.begin() as db, pytest.raises(PermissionDenied):
        accounts.set_role(db, world.instructor, "teacher", Role.ADMIN, T0)
    [denied] = _entries(world.sessions, "denied:edit:accounts")
    assert denied.actor == "instructor:teacher"
    with world.sessions() as db:
        assert accounts.find_user(db, "teacher").role is Role.INSTRUCTOR


def test_the_last_admin_cannot_be_removed(world: World) -> None:
    with world.sessions.begin() as db, pytest.raises(accounts.AccountError, match="last active admin"):
        accounts.set_role(db, world.admin, "root", Role.AUDITOR, T0)
    with world.sessions.begin() as db, pytest.raises(accounts.AccountError, match="last active admin"):
        accounts.disable_user(db, world.admin, "root", T0)


@pytest.mark.parametrize(("login", "password"), [("bad login", PASSWORD), ("ok", "short")])
def test_bad_login_names_and_weak_passwords_are_refused(world: World, login: str, password: str) -> None:
    with world.sessions.begin() as db, pytest.raises((accounts.AccountError, WeakPassword)):
        accounts.create_user(db, world.admin, login, "X", Role.STUDENT, password, T0)


def test_login_and_tokens(world: World) -> None:
    with world.sessions.begin() as db:
        accounts.create_user(db, world.admin, "ana", "Ana Li", Role.INSTRUCTOR, PASSWORD, T0)
    with world.sessions.begin() as db:
        user = accounts.authenticate(db, "ana", PASSWORD, T0)
        token = tokens.issue(user, T0, timedelta(minutes=30))
    [login] = _entries(world.sessions, "login")
    assert login.actor == "instructor:ana"
    with world.sessions() as db:
        assert tokens.verify(db, token, T0 + timedelta(minutes=29)).login == "ana"
        with pytest.raises(tokens.NotLoggedIn):
            tokens.verify(db, token, T0 + timedelta(minutes=30))
        version, _payload, mac = token.split(".")
        forged = base64.urlsafe_b64encode(
            json.dumps({"uid": world.admin.user_id, "exp": 2**40}).encode()
        ).decode()
        for bad in (f"{version}.{forged.rstrip('=')}.{mac}", token[:-2], "garbage", "", "v1..", "v9.a.b"):
            with pytest.raises(tokens.NotLoggedIn):
                tokens.verify(db, bad, T0)
    with world.sessions.begin() as db:  # disabling the account ends every login at once
        accounts.disable_user(db, world.admin, "ana", T0 + timedelta(minutes=1))
    with world.sessions() as db, pytest.raises(tokens.NotLoggedIn):
        tokens.verify(db, token, T0 + timedelta(minutes=2))


@pytest.mark.parametrize(
    ("login", "password"), [("ana", "wrong password"), ("nobody", PASSWORD), ("mentor", PASSWORD)]
)
def test_failed_logins_look_alike_and_are_recorded(world: World, login: str, password: str) -> None:
    with world.sessions.begin() as db:
        accounts.create_user(db, world.admin, "ana", "Ana Li", Role.INSTRUCTOR, PASSWORD, T0)
    with world.sessions.begin() as db, pytest.raises(accounts.LoginFailed) as failure:
        accounts.authenticate(db, login, password, T0)  # "mentor" has no password
    assert failure.value.text.en == "wrong login or password, or the account is disabled"
    [entry] = _entries(world.sessions, "login.failed")
    assert entry.resource == ("user:?" if login == "nobody" else f"user:{login}")
    assert password not in json.dumps(entry.detail)


def test_disabled_account_cannot_log_in(world: World) -> None:
    with world.sessions.begin() as db:
        accounts.create_user(db, world.admin, "ana", "Ana Li", Role.INSTRUCTOR, PASSWORD, T0)
        accounts.disable_user(db, world.admin, "ana", T0)
    with world.sessions.begin() as db, pytest.raises(accounts.LoginFailed):
        accounts.authenticate(db, "ana", PASSWORD, T0)
    with world.sessions() as db:
        assert db.scalar(select(User.disabled_at).where(User.login == "ana")) == T0


def test_password_change_ends_old_logins_and_is_audited(world: World) -> None:
    with world.sessions.begin() as db:
        accounts.create_user(db, world.admin, "ana", "Ana Li", Role.INSTRUCTOR, PASSWORD, T0)
    with world.sessions() as db:
        ana = accounts.actor_of(accounts.find_user(db, "ana"))
        token = tokens.issue(accounts.find_user(db, "ana"), T0, timedelta(minutes=30))
    with world.sessions.begin() as db, pytest.raises(PermissionDenied):
        accounts.set_password(db, ana, "teacher", "another password", T0)  # not someone else's
    with world.sessions.begin() as db:
        accounts.set_password(db, ana, "ana", "a new password", T0)
    with world.sessions() as db, pytest.raises(tokens.NotLoggedIn):
        tokens.verify(db, token, T0 + timedelta(minutes=1))
    with world.sessions.begin() as db:
        assert accounts.authenticate(db, "ana", "a new password", T0).login == "ana"
    details = [e.detail for e in _entries(world.sessions, "edit:accounts")]
    assert details[-1] == {"password": "changed"}
