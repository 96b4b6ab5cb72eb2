"""`shixun config`: show the resolved configuration and where it comes from."""

from __future__ import annotations

import argparse

from station_app.cli.context import Context
from station_app.config import default_config_path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("config", help="show the resolved configuration")
    actions = parser.add_subparsers(dest="config_action", metavar="ACTION")
    actions.required = True
    show = actions.add_parser("show", help="every setting after file, environment and flags are merged")
    show.set_defaults(handler=show_config)
    path = actions.add_parser("path", help="the config file that is read (or would be)")
    path.set_defaults(handler=show_path)


def show_config(args: argparse.Namespace, ctx: Context) -> int:
    data = {
        "file": str(ctx.config.source) if ctx.config.source else None,
        "data_dir": str(ctx.config.data_dir),
        "db_url": ctx.db_url,
        "language": ctx.lang,
        "settings": ctx.config.values,
    }
    lines = [f"# file: {data['file'] or '(none)'}", f"# data dir: {data['data_dir']}"]
    for section, keys in ctx.config.values.items():
        lines.append(f"[{section}]")
        lines.extend(f"{key} = {value!r}" for key, value in keys.items())
    ctx.result(data, "\n".join(lines))
    return 0


def show_path(args: argparse.Namespace, ctx: Context) -> int:
    path = ctx.config.source or default_config_path()
    ctx.result({"path": str(path), "exists": ctx.config.source is not None}, str(path))
    return 0
