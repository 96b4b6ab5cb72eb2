"""`shixun login`, `logout`, `whoami`, and how every personal-data command knows who is asking.

A person is identified, in this order, by `SHIXUN_USER` + `SHIXUN_PASSWORD` (for scripts), or by
the short-lived token `shixun login` keeps in the user data dir (mode 0600; see `lab.auth.tokens`).
Passwords are read without echo from the terminal, or from one line of stdin with `--password-stdin`.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from lab.bus.text import UserError
from station_app.cli.context import Context

# The store and accounts (SQLAlchemy, argon2) are imported by the functions that use them, so that
# building the parser — which imports every command module — stays fast.
if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from lab.auth.permissions import Actor

TOKEN_FILE = "login.token"
USER_ENV, PASSWORD_ENV = "SHIXUN_USER", "SHIXUN_PASSWORD"


def register(subparsers: argparse._SubParsersAction) -> None:
    login = subparsers.add_parser(
        "login", help="log in for commands on personal data (keeps a short-lived token)"
    )
    login.add_argument("login", metavar="LOGIN", help="your login name")
    login.add_argument(
        "--password-stdin", action="store_true", help="read the password from one line of stdin"
    )
    login.set_defaults(handler=run_login)
    subparsers.add_parser("logout", help="forget the login token").set_defaults(handler=run_logout)
    subparsers.add_parser("whoami", help="who the commands act as").set_defaults(handler=run_whoami)


def now() -> datetime:
    return datetime.now(UTC)


@contextmanager
def store(ctx: Context) -> Iterator[Session]:
    """One transaction on the store (migrated to head first): committed on success."""
    from lab.store.engine import make_engine, make_session_factory
    from lab.store.migrate import current_revision, head_revision, upgrade

    engine = make_engine(ctx.db_url)
    try:
        if current_revision(engine) != head_revision():
            upgrade(engine)
        with make_session_factory(engine)() as session, session.begin():
            yield session
    finally:
        engine.dispose()


def token_path(ctx: Context) -> Path:
    return ctx.config.data_dir / TOKEN_FILE


def read_password(ctx: Context, from_stdin: bool, confirm: bool = False) -> str:
    """From stdin (one line), the environment (scripts), or the terminal without echo."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise UserError(
            "无法从终端读取密码：请使用 --password-stdin",
            "cannot prompt for a password here: use --password-stdin",
        )
    zh = ctx.lang == "zh"
    password = getpass.getpass("密码：" if zh else "Password: ")
    if confirm and getpass.getpass("再次输入密码：" if zh else "Repeat password: ") != password:
        raise UserError("两次输入的密码不一致", "the passwords do not match")
    return password


def current_actor(ctx: Context, db: Session, at: datetime) -> Actor:
    """The person running this command; NotLoggedIn if nobody is."""
    from lab.auth import accounts, tokens

    login, password = os.environ.get(USER_ENV), os.environ.get(PASSWORD_ENV)
    if login and password is not None:
        return accounts.actor_of(accounts.authenticate(db, login, password, at))
    try:
        token = token_path(ctx).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        raise tokens.NotLoggedIn() from None
    return accounts.actor_of(tokens.verify(db, token, at))


def run_login(args: argparse.Namespace, ctx: Context) -> int:
    from lab.auth import accounts, tokens

    password = read_password(ctx, args.password_stdin)
    at = now()
    minutes = ctx.config.get("privacy", "login_minutes")
    if not 1 <= minutes <= 24 * 60:
        raise UserError(
            "privacy.login_minutes 应在 1 到 1440 之间", "privacy.login_minutes must be from 1 to 1440"
        )
    with store(ctx) as db:
        user = accounts.authenticate(db, args.login, password, at)
        token = tokens.issue(user, at, timedelta(minutes=minutes))
        actor = accounts.actor_of(user)
    path = token_path(ctx)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # also when the file existed with wider permissions
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(token)
    expires = (at + timedelta(minutes=minutes)).isoformat(timespec="seconds")
    ctx.result(
        {"login": actor.login, "role": actor.role.value, "expires": expires},
        f"{actor.login} ({actor.role.value}) — "
        + ("有效至 " if ctx.lang == "zh" else "valid until ")
        + expires,
    )
    return 0


def run_logout(args: argparse.Namespace, ctx: Context) -> int:
    token_path(ctx).unlink(missing_ok=True)
    ctx.say("已退出登录", "logged out")
    return 0


def run_whoami(args: argparse.Namespace, ctx: Context) -> int:
    with store(ctx) as db:
        actor = current_actor(ctx, db, now())
    ctx.result({"login": actor.login, "role": actor.role.value}, f"{actor.login} ({actor.role.value})")
    return 0
