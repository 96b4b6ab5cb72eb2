"""What every command handler receives: resolved config, output mode and language."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any

from lab.bus.text import Lang, Text
from station_app.config import Config


@dataclass
class Context:
    """Output rules: with `--json`, machine output on stdout; human text always on stderr."""

    config: Config
    json_output: bool

    @property
    def lang(self) -> Lang:
        return self.config.language

    @property
    def db_url(self) -> str:
        return self.config.db_url

    def say(self, zh: str, en: str) -> None:
        """A human line, in the user's language, on stderr."""
        print(Text(zh=zh, en=en).get(self.lang), file=sys.stderr, flush=True)

    def result(self, data: Any, human: str | None = None) -> None:
        """The command's result: JSON on stdout with --json, else `human` (or JSON) on stdout."""
        if self.json_output:
            json.dump(data, sys.stdout, ensure_ascii=False, default=str)
            sys.stdout.write("\n")
        else:
            print(human if human is not None else json.dumps(data, ensure_ascii=False, indent=2, default=str))
        sys.stdout.flush()
