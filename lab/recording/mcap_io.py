"""Session recordings as MCAP: one file per session, one JSON-schema channel per recorded kind.

Chunks are zstd-compressed and indexed, so a time window of one channel is read without scanning
the file (shared/reference/bus_booking_privacy.md §1.9: a 5 s window of a 1-minute session in ~5 ms).
Foxglove and any MCAP reader open these files: message encoding "json", schema encoding "jsonschema".
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import orjson
from mcap.exceptions import McapError
from mcap.reader import make_reader
from mcap.writer import CompressionType, Writer
from zstandard import ZstdError

from lab.bus.envelope import Envelope
from lab.bus.text import UserError
from lab.bus.topics import Kind
from lab.recording.schemas import RECORDED_KINDS, schema, schema_name

FORMAT = "shixun.recording/1"
METADATA_NAME = "shixun.session"
NS = 1_000_000_000
# What the mcap reader raises on a damaged or foreign file: a short file fails its seek with OSError,
# a corrupt chunk fails zstd, an index naming an unknown channel is a KeyError, and a record claiming
# an absurd length overflows or exhausts memory before it can be read.
_UNREADABLE = (
    McapError,
    struct.error,
    ValueError,
    EOFError,
    OSError,
    ZstdError,
    KeyError,
    MemoryError,
    OverflowError,
)


class RecordingError(UserError):
    """A recording that cannot be read (missing, not MCAP, truncated, or not ours)."""


def channel_topic(kind: Kind) -> str:
    return f"/{kind.value}"


class SessionWriter:
    """Writes one session's messages; `close()` writes the summary and index (call it, or use `with`)."""

    def __init__(self, path: str | Path, station: str, session: str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file: BinaryIO = self.path.open("wb")
        self._writer = Writer(self._file, compression=CompressionType.ZSTD)
        self._writer.start(profile="", library="shixun")
        self._writer.add_metadata(METADATA_NAME, {"format": FORMAT, "station": station, "session": session})
        self._channels: dict[Kind, int] = {}
        for kind in RECORDED_KINDS:
            schema_id = self._writer.register_schema(schema_name(kind), "jsonschema", schema(kind))
            self._channels[kind] = self._writer.register_channel(channel_topic(kind), "json", schema_id)

    def write(self, kind: Kind, envelope: Envelope) -> None:
        """Record one message; kinds outside RECORDED_KINDS (video, heartbeats) are refused."""
        if kind not in self._channels:
            raise ValueError(f"{kind.value} is not recorded")
        log_time = int(envelope.t_wall * NS)
        self._writer.add_message(
            self._channels[kind],
            log_time=log_time,
            publish_time=log_time,
            data=orjson.dumps(envelope.as_dict()),
            sequence=envelope.seq & 0xFFFFFFFF,
        )

    def close(self) -> None:
        if not self._file.closed:
            self._writer.finish()
            self._file.close()

    def __enter__(self) -> SessionWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True, slots=True)
class RecordedMessage:
    kind: Kind
    envelope: Envelope


def read_recording(
    path: str | Path,
    kinds: Iterable[Kind] | None = None,
    start: float | None = None,
    end: float | None = None,
) -> Iterator[RecordedMessage]:
    """Messages in log-time order, optionally only `kinds` and only t_wall in [start, end) (Unix s)."""
    topics = [channel_topic(k) for k in (kinds or RECORDED_KINDS)]
    with _open(path) as stream:
        try:
            reader = make_reader(stream)
            for _schema, channel, message in reader.iter_messages(
                topics=topics,
                starting_at=None if start is None else int(start * NS),
                ending_before=None if end is None else int(end * NS),
            ):
                yield RecordedMessage(Kind(channel.topic[1:]), _envelope(message.data, path))
        except _UNREADABLE as exc:
            raise _unreadable(path, exc) from None


def recording_info(path: str | Path) -> dict[str, Any]:
    """Station, session, message counts per kind and the time span, from the summary (no scan)."""
    with _open(path) as stream:
        try:
            reader = make_reader(stream)
            summary = reader.get_summary()
            meta = next((m.metadata for m in reader.iter_metadata() if m.name == METADATA_NAME), None)
        except _UNREADABLE as exc:
            raise _unreadable(path, exc) from None
    if (
        summary is None
        or summary.statistics is None
        or meta is None
        or meta.get("format") != FORMAT
        or not {"station", "session"} <= meta.keys()
    ):
        raise RecordingError(f"{path} 不是实训会话录制文件", f"{path} is not a Shixun session recording")
    stats = summary.statistics
    counts = {summary.channels[cid].topic[1:]: count for cid, count in stats.channel_message_counts.items()}
    return {
        "station": meta["station"],
        "session": meta["session"],
        "messages": counts,
        "start": stats.message_start_time / NS if stats.message_count else None,
        "end": stats.message_end_time / NS if stats.message_count else None,
    }


def _open(path: str | Path) -> BinaryIO:
    try:
        return Path(path).open("rb")
    except OSError as exc:
        raise RecordingError(
            f"无法打开录制文件 {path}：{exc.strerror}", f"cannot open recording {path}: {exc.strerror}"
        ) from None


def _envelope(data: bytes, path: str | Path) -> Envelope:
    try:
        return Envelope(**orjson.loads(data))
    except (ValueError, TypeError) as exc:
        raise _unreadable(path, exc) from None


def _unreadable(path: str | Path, exc: Exception) -> RecordingError:
    return RecordingError(
        f"录制文件 {path} 已损坏或不是 MCAP：{exc}", f"recording {path} is damaged or not MCAP: {exc}"
    )
