"""`shixun users add|list|role|disable`: accounts and roles (every change is audited).

The very first account is created without logging in, and must be an admin (bootstrap).
"""

from __future__ import annotations

import argparse

from station_app.cli.context import Context
from station_app.cli.login import current_actor, now, read_password, store

# Accounts and the store (SQLAlchemy, argon2) are imported inside the handlers so that building the
# parser stays fast; ROLES is lab.store.models.Role (a test keeps them equal).
ROLES = ("student", "instructor", "mentor", "admin", "auditor")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("users", help="accounts and roles (admin); the first admin needs no login")
    actions = parser.add_subparsers(dest="users_action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="create an account (asks for its password)")
    add.add_argument("login", metavar="LOGIN")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--name", help="display name (default: the login)")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the new password from one line of stdin"
    )
    add.add_argument("--no-password", action="store_true", help="key-only account (e.g. a mentor's viewer)")
    add.set_defaults(handler=run_add)
    actions.add_parser("list", help="every account with its role").set_defaults(handler=run_list)
    role = actions.add_parser("role", help="change someone's role")
    role.add_argument("login", metavar="LOGIN")
    role.add_argument("role", choices=ROLES)
    role.set_defaults(handler=run_role)
    passwd = actions.add_parser("passwd", help="change your password, or reset someone's (admin)")
    passwd.add_argument("login", metavar="LOGIN", nargs="?", help="whose (default: your own)")
    passwd.add_argument(
        "--password-stdin", action="store_true", help="read the new password from one line of stdin"
    )
    passwd.set_defaults(handler=run_passwd)
    disable = actions.add_parser("disable", help="disable an account (its logins stop at once)")
    disable.add_argument("login", metavar="LOGIN")
    disable.set_defaults(handler=run_disable)


def run_add(args: argparse.Namespace, ctx: Context) -> int:
    from lab.auth import accounts
    from lab.store.models import Role

    at = now()
    with store(ctx) as db:
        by = None if accounts.bootstrap_open(db) else current_actor(ctx, db, at)
        password = None if args.no_password else read_password(ctx, args.password_stdin, confirm=True)
        user = accounts.create_user(
            db, by, args.login, args.name or args.login, Role(args.role), password, at
        )
        data = {"login": user.login, "role": user.role.value, "id": user.id}
    ctx.result(data, f"{data['login']} ({data['role']})")
    return 0


def run_list(args: argparse.Namespace, ctx: Context) -> int:
    from lab.auth import accounts

    at = now()
    with store(ctx) as db:
        users = accounts.list_users(db, current_actor(ctx, db, at), at)
        rows = [
            {
                "login": u.login,
                "name": u.display_name,
                "role": u.role.value,
                "disabled": u.disabled_at is not None,
            }
            for u in users
        ]
    lines = [
        f"{r['login']:<20} {r['role']:<10} {r['name']}{'  (disabled)' if r['disabled'] else ''}" for r in rows
    ]
    ctx.result(rows, "\n".join(lines))
    return 0


def run_role(args: argparse.Namespace, ctx: Context) -> int:
    from lab.auth import accounts
    from lab.store.models import Role

    at = now()
    with store(ctx) as db:
        user = accounts.set_role(db, current_actor(ctx, db, at), args.login, Role(args.role), at)
        data = {"login": user.login, "role": user.role.value}
    ctx.result(data, f"{data['login']} ({data['role']})")
    return 0


def run_disable(args: argparse.Namespace, ctx: Context) -> int:
    from lab.auth import accounts

    at = now()
    with store(ctx) as db:
        accounts.disable_user(db, current_actor(ctx, db, at), args.login, at)
    ctx.result(
        {"login": args.login, "disabled": True},
        f"{args.login}: " + ("已停用" if ctx.lang == "zh" else "disabled"),
    )
    return 0


def run_passwd(args: argparse.Namespace, ctx: Context) -> int:
    from lab.auth import accounts

    at = now()
    with store(ctx) as db:
        by = current_actor(ctx, db, at)
        password = read_password(ctx, args.password_stdin, confirm=True)
        user = accounts.set_password(db, by, args.login or by.login, password, at)
        login = user.login
    ctx.result(
        {"login": login, "password_changed": True},
        f"{login}: " + ("密码已更改，请重新登录" if ctx.lang == "zh" else "password changed; log in again"),
    )
    return 0
