"""Topic names and the single-frame wire format.

A topic is `<kind>/<station>/<session>`. The kind comes first so that a relay can subscribe
upstream to every station's keypoints and state (`pose/`, `state/`, ...) while pulling video
(`video/<station>/<session>`) only when an authorised viewer asks for it — a station's publisher
sees that subscription and knows it is live to a mentor.

Every message is ONE frame: `topic SP envelope`. ZMQ_CONFLATE keeps only the last part of a
multipart message, so the topic must live in the same frame for conflated (video) topics
(shared/reference/bus_booking_privacy.md §0.3, §1.8.2). No kind is a prefix of another and ids may
not contain "/" or " ", so the prefix `pose/st01/s1 ` matches exactly one topic.
"""

from __future__ import annotations

import enum
import functools
import re
from dataclasses import dataclass

from lab.bus.text import UserError

SEPARATOR = b" "
NO_SESSION = "-"  # stations publish heartbeats between sessions
_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


class Kind(enum.StrEnum):
    """What a topic carries; each kind has its own queue limits (see `lab.bus.sockets`)."""

    POSE = "pose"
    STATE = "state"
    EVENTS = "events"
    VIDEO = "video"
    HEARTBEAT = "heartbeat"
    COMMENT = "comment"


class BadTopic(UserError):
    """A topic or subscription that does not follow `<kind>/<station>/<session>`."""


def check_id(value: str, what: str) -> str:
    """Station and session ids travel in topics, so they are short and free of separators."""
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise BadTopic(
            f"{what} 只能包含字母、数字和 _ . : -（1–64 个字符）",
            f"{what} may contain only letters, digits and _ . : - (1-64 characters)",
        )
    return value


@dataclass(frozen=True, slots=True)
class Topic:
    kind: Kind
    station: str
    session: str = NO_SESSION

    def __post_init__(self) -> None:
        check_id(self.station, "station")
        check_id(self.session, "session")

    def __str__(self) -> str:
        return f"{self.kind.value}/{self.station}/{self.session}"

    @property
    def prefix(self) -> bytes:
        """The exact subscription for this topic (terminated, so `s1` does not match `s10`)."""
        return str(self).encode("ascii") + SEPARATOR

    @classmethod
    def parse(cls, text: str) -> Topic:
        parts = text.split("/")
        if len(parts) != 3 or parts[0] not in Kind._value2member_map_:
            raise BadTopic(f"无效的主题：{text[:80]!r}", f"invalid topic: {text[:80]!r}")
        return cls(Kind(parts[0]), parts[1], parts[2])


def user_zap_id(user_id: int) -> str:
    """A person's ZAP User-Id on the lab server (the id of their row in `users`)."""
    return f"user:{user_id}"


def station_zap_id(station: str) -> str:
    return f"station:{check_id(station, 'station')}"


def view_prefix(zap_id: str) -> bytes:
    """What the lab relay puts in front of every frame it forwards to one user (lab.server.relay);
    viewers subscribe to `view_prefix + topic.prefix`."""
    return f"@{zap_id}/".encode()


def frame(topic: Topic, payload: bytes) -> bytes:
    return topic.prefix + payload


def split_frame(data: bytes) -> tuple[Topic, bytes]:
    """Topic and payload of one wire frame; BadTopic if the frame has no valid topic."""
    head, sep, payload = data.partition(SEPARATOR)
    if not sep:
        raise BadTopic("消息缺少主题", "message has no topic")
    return _parse_head(head), payload


@functools.lru_cache(maxsize=4096)
def _parse_head(head: bytes) -> Topic:
    """Cached: a lab has a few hundred live topics, and relays parse one per message."""
    try:
        return Topic.parse(head.decode("ascii"))
    except UnicodeDecodeError:
        raise BadTopic("主题不是 ASCII", "topic is not ASCII") from None
