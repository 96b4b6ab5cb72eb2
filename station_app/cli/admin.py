"""`shixun admin`: the lab admin app (PyQt6): log in, then equipment, bookings, health, timetables."""

from __future__ import annotations

import argparse

from station_app.cli.context import Context


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "admin", help="the lab admin app (equipment, bookings, device health, timetables)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from station_app.admin.app import run as run_app  # Qt and the store load only for this command
    from station_app.admin.support import admin_settings, open_store

    settings = admin_settings(ctx.config)
    sessions = open_store(ctx.db_url)
    try:
        return run_app(sessions, settings, ctx.lang)
    finally:
        sessions.kw["bind"].dispose()
