"""The bus message envelope: `{v, type, station, session, seq, t_mono, t_wall, body}` in msgpack.

Bodies are plain dicts of msgpack types (str, int, float, bool, None, bytes, lists, dicts), so the
leaf stays numpy-free; JPEG frames travel as bytes. `decode` validates everything and raises
`BadMessage` with a `reason` ("garbled" or "version") that receivers count (see `lab.bus.stats`).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import msgpack

from lab.bus.text import UserError

SCHEMA_VERSION = 1
MAX_MESSAGE_BYTES = 16 * 1024 * 1024  # a 4K JPEG fits; anything larger is refused unread
_TYPE = re.compile(r"[a-z0-9_.]{1,32}")
_FIELDS = ("v", "type", "station", "session", "seq", "t_mono", "t_wall", "body")
_FIELD_SET = frozenset(_FIELDS)
_NUMBER = (int, float)

Reason = Literal["garbled", "version", "binary"]


class BadMessage(UserError):
    """A message that cannot be used: undecodable or malformed ("garbled"), or another schema version."""

    def __init__(self, reason: Reason, zh: str, en: str) -> None:
        super().__init__(zh, en)
        self.reason: Reason = reason


@dataclass(frozen=True, slots=True)
class Envelope:
    type: str
    station: str
    session: str
    seq: int
    body: dict[str, Any]
    t_mono: float = field(default_factory=time.monotonic)
    t_wall: float = field(default_factory=time.time)
    v: int = SCHEMA_VERSION

    def as_dict(self) -> dict[str, Any]:
        """The envelope as a map (shallow: the body is shared, not copied — unlike dataclasses.asdict)."""
        return {name: getattr(self, name) for name in _FIELDS}

    def encode(self) -> bytes:
        return msgpack.packb(self.as_dict(), use_bin_type=True)


def decode(data: bytes, allow_binary: bool = True) -> Envelope:
    """Parse and validate one envelope; BadMessage otherwise (never another exception).

    With `allow_binary=False` any non-empty binary field is refused (reason "binary"), checked by
    msgpack in C while parsing: how a relay keeps pixels off every topic but video, at no cost.
    """
    return Envelope(**check(data, allow_binary))


def check(data: bytes, allow_binary: bool = True) -> dict[str, Any]:
    """What `decode` validates, as the plain field map: for a relay, which forwards the bytes and
    needs only a few fields, so building the Envelope would be wasted work on its hot path."""
    if len(data) > MAX_MESSAGE_BYTES:
        raise _garbled("too large")
    try:
        obj = msgpack.unpackb(data, raw=False, strict_map_key=True, max_bin_len=-1 if allow_binary else 0)
    except Exception as exc:  # msgpack raises several unrelated types (ValueError, ExtraData, StackError...)
        if not allow_binary:
            check(data)  # raises if it is bad anyway; otherwise the only fault is binary data
            raise BadMessage(
                "binary", "消息含有二进制数据（如图像）", "message carries binary data (e.g. pixels)"
            ) from None
        raise _garbled(type(exc).__name__) from None
    if type(obj) is not dict:
        raise _garbled("not a map")
    version = obj.get("v")
    if type(version) is not int or version != SCHEMA_VERSION:  # `type is`: True is not version 1
        if type(version) is int:
            raise BadMessage(
                "version",
                f"消息格式版本 {version} 不受支持（支持 {SCHEMA_VERSION}）",
                f"message schema version {version} is not supported (expected {SCHEMA_VERSION})",
            )
        raise _garbled("no version")
    if obj.keys() != _FIELD_SET:
        raise _garbled("fields")
    # msgpack yields exact types, so `type(x) is` is both strict and the cheapest check (relays run
    # this for every message)
    kind, seq = obj["type"], obj["seq"]
    if not (
        type(kind) is str
        and _TYPE.fullmatch(kind)
        and type(obj["station"]) is str
        and type(obj["session"]) is str
        and type(seq) is int
        and seq >= 0
        and type(obj["t_mono"]) in _NUMBER
        and type(obj["t_wall"]) in _NUMBER
        and type(obj["body"]) is dict
    ):
        raise _garbled("field types")
    return obj


def _garbled(what: str) -> BadMessage:
    return BadMessage("garbled", f"无法解析的消息（{what}）", f"garbled message ({what})")
