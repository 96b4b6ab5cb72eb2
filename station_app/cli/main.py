"""Entry point of `shixun`: global options, command discovery, and the one-line error policy."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

import station_app.cli as cli_package
from lab.bus.text import Text, UserError
from station_app.cli.context import Context
from station_app.config import load_config


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad arguments as one line (usage is left to --help), exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _package_version() -> str:
    try:
        return version("shixun")
    except PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="shixun",
        description="Shixun (实训): simulated practical training with a real-time motion coach.",
    )
    parser.add_argument("--version", action="version", version=f"shixun {_package_version()}")
    parser.add_argument(
        "--db", metavar="URL", help="store URL (SQLAlchemy); default: SQLite in the user data dir"
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    parser.add_argument(
        "--lang", choices=("zh", "en"), help="language of messages (default: from config/$LANG)"
    )
    parser.add_argument("--config", metavar="FILE", help="config file (default: user config dir)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for module in _command_modules():
        module.register(subparsers)
    return parser


def _command_modules() -> list:
    names = sorted(m.name for m in pkgutil.iter_modules(cli_package.__path__))
    modules = [importlib.import_module(f"{cli_package.__name__}.{name}") for name in names]
    return [m for m in modules if hasattr(m, "register")]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    overrides: dict[str, dict[str, str]] = {}
    if args.db:
        overrides["store"] = {"url": args.db}
    if args.lang:
        overrides["general"] = {"language": args.lang}
    lang = args.lang or "en"
    try:
        config = load_config(args.config, overrides)
        lang = config.language
        return int(args.handler(args, Context(config=config, json_output=args.json)) or 0)
    except UserError as exc:
        print(f"shixun: {exc.message(lang)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"shixun: {Text(zh='已中断', en='interrupted').get(lang)}", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of our output went away (e.g. `shixun ... | head`): stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
