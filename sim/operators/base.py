"""What an operator is, and the built-in ones that need no scene knowledge: idle and replay.

Every operator — keyboard, gamepad, pendant, hand signals, script, autopilot — is `reset` once per attempt
and then asked for one Command per control step.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from lab.bus.text import UserError
from sim.operators.command import NEUTRAL, Command


class Operator(Protocol):
    name: str

    def reset(self, scene: Any, rng: np.random.Generator) -> None: ...

    def act(self, state: Any) -> Command: ...


class IdleOperator:
    """No input at all: the machine only does what physics and faults make it do."""

    name = "idle"

    def reset(self, scene: Any, rng: np.random.Generator) -> None:
        del scene, rng

    def act(self, state: Any) -> Command:
        del state
        return NEUTRAL


class ReplayOperator:
    """Plays back a recorded input log: JSONL, one command per control step.

    A line is either a bare command `{"bridge": …, "trolley": …, "hoist": …, "estop": …}` or a trace line
    with a `"command"` field (so `--trace` output replays the attempt). After the log, neutral.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.name = f"replay:{self.path}"
        self.commands = load_command_log(self.path)
        self._next = 0

    def reset(self, scene: Any, rng: np.random.Generator) -> None:
        del scene, rng
        self._next = 0

    def act(self, state: Any) -> Command:
        del state
        if self._next >= len(self.commands):
            return NEUTRAL
        self._next += 1
        return self.commands[self._next - 1]


def load_command_log(path: Path) -> list[Command]:
    """Read a command log; any unreadable or malformed line is a UserError naming file and line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise UserError(f"找不到操作记录文件：{path}", f"input log not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"无法读取操作记录 {path}：{exc}", f"cannot read input log {path}: {exc}") from exc
    commands = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if isinstance(data, dict) and "command" in data:
                data = data["command"]
            commands.append(Command.from_dict(data))
        except (json.JSONDecodeError, UserError, TypeError) as exc:
            why = exc.message("en") if isinstance(exc, UserError) else str(exc)
            why_zh = exc.message("zh") if isinstance(exc, UserError) else str(exc)
            raise UserError(
                f"{path} 第 {number} 行无效：{why_zh}", f"{path} line {number} is invalid: {why}"
            ) from None
    return commands
