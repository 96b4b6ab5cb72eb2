"""`shixun keys`: the lab server's CURVE keypair, and key bundles for users and stations."""

from __future__ import annotations

import argparse
from pathlib import Path

from lab.bus.text import Text
from station_app.cli.context import Context

# CURVE keys (ZeroMQ) and the store (SQLAlchemy) are imported inside the handlers so that building the
# parser stays fast.


def keys_dir(ctx: Context) -> Path:
    return ctx.config.data_dir / "keys"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "keys",
        help="CurveZMQ keys: the lab server's, and bundles for users and stations",
        description="Keys for the encrypted, authenticated links to the lab server (CurveZMQ).",
    )
    actions = parser.add_subparsers(dest="keys_action", metavar="ACTION", required=True)
    server = actions.add_parser("server", help="create the lab server's keypair (once per lab)")
    server.add_argument("--force", action="store_true", help="replace an existing server key")
    server.set_defaults(handler=run_server)
    for name, handler, text in (
        ("generate", run_generate, "new keypair for a user or station: store the public key, write a bundle"),
        ("revoke", run_revoke, "remove a user's or station's key: it is refused from now on"),
    ):
        action = actions.add_parser(name, help=text)
        who = action.add_mutually_exclusive_group(required=True)
        who.add_argument("--user", metavar="LOGIN", help="a user's login")
        who.add_argument("--station", metavar="NAME", help="a station's (or edge box's) equipment name")
        if name == "generate":
            action.add_argument("--out", metavar="DIR", help="bundle folder (default: keys/clients/NAME)")
        action.set_defaults(handler=handler)


def run_server(args: argparse.Namespace, ctx: Context) -> int:
    from lab.server.keyring import create_server_keys, server_key_files

    keys = create_server_keys(keys_dir(ctx), force=args.force)
    public_file, _ = server_key_files(keys_dir(ctx))
    ctx.result(
        {"public_key": keys.public.decode(), "file": str(public_file)},
        Text(
            zh=f"服务器公钥：{keys.public.decode()}（{public_file}）",
            en=f"server public key: {keys.public.decode()} ({public_file})",
        ).get(ctx.lang),
    )
    return 0


def run_generate(args: argparse.Namespace, ctx: Context) -> int:
    from lab.bus.security import CurveKeys
    from lab.server.keyring import load_server_keys, set_public_key
    from lab.store.engine import make_engine

    server_public = load_server_keys(keys_dir(ctx)).public
    name = args.user or args.station
    keys = CurveKeys.generate()
    engine = make_engine(ctx.db_url, create=False)
    try:
        set_public_key(engine, keys.public, user=args.user, station=args.station)
    finally:
        engine.dispose()
    out = Path(args.out) if args.out else keys_dir(ctx) / "clients" / name
    keys.write(out, name)
    CurveKeys(server_public).write(out, "server")
    ctx.result(
        {"name": name, "public_key": keys.public.decode(), "bundle": str(out)},
        Text(
            zh=f"已为 {name} 生成密钥；请将 {out} 交给对方（内含私钥，妥善保管）",
            en=f"key generated for {name}; hand {out} over to them (it holds their secret key)",
        ).get(ctx.lang),
    )
    return 0


def run_revoke(args: argparse.Namespace, ctx: Context) -> int:
    from lab.server.keyring import set_public_key
    from lab.store.engine import make_engine

    engine = make_engine(ctx.db_url, create=False)
    try:
        set_public_key(engine, None, user=args.user, station=args.station)
    finally:
        engine.dispose()
    name = args.user or args.station
    ctx.result(
        {"name": name, "revoked": True},
        Text(zh=f"已撤销 {name} 的密钥", en=f"key of {name} revoked").get(ctx.lang),
    )
    return 0
