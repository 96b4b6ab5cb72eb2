"""What the lab-admin front ends (CLI commands and the Qt app) share: settings from the config,
a store transaction, and parsing of the times and files an admin types."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session, sessionmaker

from lab.auth.access import require
from lab.auth.permissions import Action, Resource
from lab.bus.text import UserError
from lab.health.status import Thresholds
from lab.scheduling.grid import WeekGrid, week_grid
from lab.store.engine import make_engine, make_session_factory
from lab.store.migrate import current_revision, head_revision, upgrade
from lab.store.types import utc_now
from station_app.cli.context import Context
from station_app.cli.login import current_actor
from station_app.config import Config


@dataclass(frozen=True)
class AdminSettings:
    """The `[scheduling]` config section as plain values for the lower layers."""

    tz: ZoneInfo
    week_days: int
    day_start: str
    slots_per_day: int
    slot_minutes: int
    solver_seconds: float
    solver_workers: int
    solver_seed: int
    thresholds: Thresholds

    def grid(self, monday: date) -> WeekGrid:
        return week_grid(
            monday, self.tz, self.week_days, self.day_start, self.slots_per_day, self.slot_minutes
        )


def admin_settings(config: Config) -> AdminSettings:
    section = config.values["scheduling"]
    try:
        tz = ZoneInfo(section["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(
            f"未知的时区 scheduling.timezone = {section['timezone']}",
            f"unknown time zone scheduling.timezone = {section['timezone']}",
        ) from None
    return AdminSettings(
        tz=tz,
        week_days=section["week_days"],
        day_start=section["day_start"],
        slots_per_day=section["slots_per_day"],
        slot_minutes=section["slot_minutes"],
        solver_seconds=section["solver_seconds"],
        solver_workers=section["solver_workers"],
        solver_seed=section["solver_seed"],
        thresholds=Thresholds(
            offline_after_s=section["offline_after_s"],
            min_fps=section["min_fps"],
            max_latency_ms=section["max_latency_ms"],
            max_dropped_frames=section["max_dropped_frames"],
            max_cpu_percent=section["max_cpu_percent"],
            min_disk_free_gb=section["min_disk_free_gb"],
        ),
    )


def open_store(db_url: str) -> sessionmaker[Session]:
    """Sessions on the store, migrated to head first (the embedded default starts empty)."""
    engine = make_engine(db_url)
    if current_revision(engine) != head_revision():
        upgrade(engine)
    return make_session_factory(engine)


@contextmanager
def store_transaction(ctx: Context, action: Action, target: str) -> Iterator[Session]:
    """One transaction on the store as the logged-in person (`shixun login`, or SHIXUN_USER and
    SHIXUN_PASSWORD), allowed by the permission matrix for `action` on equipment and bookings
    (changes are audited, lab.auth.access.require); committed when the block ends without an error."""
    sessions = open_store(ctx.db_url)
    try:
        with sessions() as session, session.begin():
            now = utc_now()
            actor = current_actor(ctx, session, now)
            require(session, actor, action, Resource.EQUIPMENT, None, target, now)
            session.info["actor"] = actor  # who acts, for the command (e.g. who made a booking)
            yield session
    finally:
        sessions.kw["bind"].dispose()


def parse_when(text: str, tz: ZoneInfo) -> datetime:
    """ "2026-11-24 14:00" in the lab's zone, or an ISO 8601 time with its own offset."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError(
            f"无法识别的时间：{text}（示例：2026-11-24 14:00）", f"not a time: {text} (e.g. 2026-11-24 14:00)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(
            f"无法识别的日期：{text}（示例：2026-11-30）", f"not a date: {text} (e.g. 2026-11-30)"
        ) from None


def read_data_file(path: str) -> Any:
    """A JSON or TOML file (by suffix), as plain data; one-line UserError if missing or garbled."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
        return tomllib.loads(text) if file.suffix.lower() == ".toml" else json.loads(text)
    except FileNotFoundError:
        raise UserError(f"找不到文件：{path}", f"file not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UserError(f"无法读取文件 {path}：{exc}", f"cannot read {path}: {exc}") from None


def parse_rule_pairs(pairs: Sequence[str]) -> dict[str, Any]:
    """`min_minutes=60 requires_approval=true` → typed values (the rule set validates them)."""
    rules = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep:
            raise UserError(f"规则应写成 键=值：{pair}", f"a rule is KEY=VALUE: {pair}")
        try:
            rules[key.strip()] = json.loads(raw.strip().lower())
        except json.JSONDecodeError:
            raise UserError(
                f"规则 {key} 的值应为数字或 true/false", f"rule {key} needs a number or true/false"
            ) from None
    return rules
