"""Accounts: create (including the first-admin bootstrap), change role, disable, list, log in.

Every change is a permission change and goes through the matrix and into the audit log
(`lab.auth.access.require`). Logging in gives one message for every failure, so it does not tell
which logins exist; an unknown login costs as much time as a wrong password.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lab.audit import chain
from lab.auth import passwords
from lab.auth.access import require
from lab.auth.permissions import Action, Actor, Resource
from lab.bus.text import UserError
from lab.store.models import Role, User

_LOGIN = re.compile(r"[A-Za-z0-9_.-]{1,64}")
BOOTSTRAP_ACTOR = "system:bootstrap"
log = logging.getLogger(__name__)  # ids only: no names, logins or passwords in application logs


class LoginFailed(UserError):
    def __init__(self) -> None:
        super().__init__(
            "用户名或密码错误，或账户已停用", "wrong login or password, or the account is disabled"
        )


class AccountError(UserError):
    pass


def actor_of(user: User) -> Actor:
    return Actor(user_id=user.id, login=user.login, role=user.role)


def check_login(login: str) -> str:
    if not _LOGIN.fullmatch(login):
        raise AccountError(
            "登录名只能包含字母、数字和 _ . -（1–64 个字符）",
            "a login may contain only letters, digits and _ . - (1-64 characters)",
        )
    return login


def find_user(db: Session, login: str) -> User:
    user = db.scalar(select(User).where(User.login == login))
    if user is None:
        raise AccountError(f"没有登录名为 {login} 的用户", f"no user with login {login}")
    return user


def bootstrap_open(db: Session) -> bool:
    """The first account may be created without logging in, and only while there are no users."""
    return db.scalar(select(func.count()).select_from(User)) == 0


def create_user(
    db: Session,
    by: Actor | None,
    login: str,
    display_name: str,
    role: Role,
    password: str | None,
    now: datetime,
) -> User:
    """A new account; `by=None` is the first-admin bootstrap, allowed only on an empty user table."""
    check_login(login)
    if by is None:
        if not bootstrap_open(db):
            raise AccountError(
                "已有用户：请先登录（shixun login）再添加用户",
                "users exist already: log in (shixun login) to add users",
            )
        if role is not Role.ADMIN:
            raise AccountError("第一个账户必须是管理员（admin）", "the first account must be an admin")
    else:
        require(db, by, Action.EDIT, Resource.ACCOUNTS, None, f"user:{login}", now, {"role": role.value})
    if db.scalar(select(User.id).where(User.login == login)) is not None:
        raise AccountError(f"登录名 {login} 已被使用", f"the login {login} is taken")
    user = User(
        login=login,
        display_name=display_name,
        role=role,
        password_hash=passwords.hash_password(password) if password is not None else None,
        created_at=now,
    )
    db.add(user)
    db.flush()
    if by is None:
        chain.append(db, BOOTSTRAP_ACTOR, "edit:accounts", f"user:{login}", {"role": role.value}, now)
    return user


def set_role(db: Session, by: Actor, login: str, role: Role, now: datetime) -> User:
    user = find_user(db, login)
    require(
        db,
        by,
        Action.EDIT,
        Resource.ACCOUNTS,
        None,
        f"user:{login}",
        now,
        {"from": user.role.value, "to": role.value},
    )
    if user.role is Role.ADMIN and role is not Role.ADMIN:
        _keep_one_admin(db, user)
    user.role = role
    db.flush()
    return user


def disable_user(db: Session, by: Actor, login: str, now: datetime) -> User:
    user = find_user(db, login)
    require(db, by, Action.DELETE, Resource.ACCOUNTS, None, f"user:{login}", now)
    if user.role is Role.ADMIN:
        _keep_one_admin(db, user)
    user.disabled_at = now
    db.flush()
    return user


def set_password(db: Session, by: Actor, login: str, password: str, now: datetime) -> User:
    """Change a password: one's own, or anyone's by an admin. Every login token of that user ends."""
    user = find_user(db, login)
    if user.id != by.user_id:
        require(db, by, Action.EDIT, Resource.ACCOUNTS, None, f"user:{login}", now, {"password": "reset"})
    else:
        chain.append(db, by.audit_name, "edit:accounts", f"user:{login}", {"password": "changed"}, now)
    user.password_hash = passwords.hash_password(password)
    db.flush()
    return user


def list_users(db: Session, by: Actor, now: datetime) -> list[User]:
    require(db, by, Action.VIEW, Resource.ACCOUNTS, None, "users", now)
    return list(db.scalars(select(User).order_by(User.login)))


def authenticate(db: Session, login: str, password: str, now: datetime) -> User:
    """The active user with this login and password; LoginFailed otherwise (and audited)."""
    user = db.scalar(select(User).where(User.login == login))
    if user is None or user.password_hash is None:
        passwords.burn_verification_time(password)
        _failed(db, user, now)
    assert user is not None and user.password_hash is not None
    if not passwords.verify_password(user.password_hash, password) or user.disabled_at is not None:
        _failed(db, user, now)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    chain.append(db, actor_of(user).audit_name, "login", f"user:{user.login}", None, now)
    log.info("login: user id %d", user.id)
    return user


def _failed(db: Session, user: User | None, now: datetime) -> None:
    """Record the failure (an unknown login is not written down: it may be a mistyped password)."""
    target = f"user:{user.login}" if user else "user:?"
    chain.append(db, "anonymous", "login.failed", target, None, now)
    db.commit()
    log.info("login failed: user id %s", user.id if user else "unknown")
    raise LoginFailed()


def _keep_one_admin(db: Session, leaving: User) -> None:
    others = db.scalar(
        select(func.count())
        .select_from(User)
        .where(User.role == Role.ADMIN, User.disabled_at.is_(None), User.id != leaving.id)
    )
    if not others:
        raise AccountError("不能移除最后一个有效的管理员", "cannot remove the last active admin")
