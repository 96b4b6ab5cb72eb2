"""`shixun db`: create or upgrade the store's schema, and show what is in it."""

from __future__ import annotations

import argparse
from typing import Any

from lab.bus.text import Text
from station_app.cli.context import Context


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "db",
        help="the store: create/upgrade its schema, show its state",
        description="The store (SQLite in the user data dir by default, or the --db / SHIXUN_DB URL).",
    )
    actions = parser.add_subparsers(dest="db_action", metavar="ACTION", required=True)
    actions.add_parser("upgrade", help="create the store or bring its schema up to date").set_defaults(
        handler=run_upgrade
    )
    actions.add_parser(
        "info", help="URL (password masked), server, schema revision, row counts"
    ).set_defaults(handler=run_info)


def run_upgrade(args: argparse.Namespace, ctx: Context) -> int:
    # The store (SQLAlchemy, Alembic) is imported when run, so building the parser stays fast.
    from lab.store.engine import make_engine
    from lab.store.migrate import current_revision, upgrade

    engine = make_engine(ctx.db_url)
    try:
        before = current_revision(engine)
        upgrade(engine)
        after = current_revision(engine)
    finally:
        engine.dispose()
    where = engine.url.render_as_string(hide_password=True)
    if before == after:
        message = Text(
            zh=f"数据库已是最新（{after}）：{where}", en=f"store already up to date ({after}): {where}"
        )
    else:
        message = Text(
            zh=f"数据库已升级 {before or '（空）'} → {after}：{where}",
            en=f"store upgraded {before or '(empty)'} -> {after}: {where}",
        )
    ctx.result(
        {"url": where, "previous_revision": before, "current_revision": after}, human=message.get(ctx.lang)
    )
    return 0


def run_info(args: argparse.Namespace, ctx: Context) -> int:
    from lab.store.engine import make_engine
    from lab.store.info import describe

    engine = make_engine(ctx.db_url, create=False)  # asking must not create an empty store
    try:
        info = describe(engine)
    finally:
        engine.dispose()
    ctx.result(info, human=_human_info(info).get(ctx.lang))
    return 0


def _human_info(info: dict[str, Any]) -> Text:
    if info["current_revision"] is None:
        revision = Text(zh="（空，请运行 shixun db upgrade）", en="(empty: run `shixun db upgrade`)")
    elif info["up_to_date"]:
        revision = Text(
            zh=f"{info['current_revision']}（最新）", en=f"{info['current_revision']} (up to date)"
        )
    else:
        revision = Text(
            zh=f"{info['current_revision']}（最新为 {info['head_revision']}，请运行 shixun db upgrade）",
            en=f"{info['current_revision']} (head is {info['head_revision']}: run `shixun db upgrade`)",
        )
    server = f"{info['dialect']} {info['server_version']} ({info['driver']})"
    tables = [f"  {name}: {count}" for name, count in info["tables"].items()]
    return Text(
        zh="\n".join(
            [f"地址：{info['url']}", f"数据库：{server}", f"结构版本：{revision.zh}", "各表行数：", *tables]
        ),
        en="\n".join(
            [f"URL: {info['url']}", f"server: {server}", f"schema: {revision.en}", "rows:", *tables]
        ),
    )
