"""JSON schemas of the recorded channels: each message is a whole bus envelope as JSON.

Keeping the envelope (seq, both clocks, type) in the recording lets replay use the same decoding as
live (shared/reference/bus_booking_privacy.md §1.9, "same decoding and rendering path"). Bodies are
described where their shape is fixed (pose frames follow the pose-stream format, DESIGN.md "Files")
and left open where producers add fields (sim state, coach events).
"""

from __future__ import annotations

import json
from typing import Any

from lab.bus.topics import Kind

RECORDED_KINDS: tuple[Kind, ...] = (Kind.POSE, Kind.STATE, Kind.EVENTS, Kind.COMMENT)

_POINT = {"type": "array", "items": {"type": "number"}}
_BODIES: dict[Kind, dict[str, Any]] = {
    Kind.POSE: {
        "type": "object",
        "description": "one pose frame: normalised image landmarks and hip-centred world landmarks (m)",
        "properties": {
            "t": {"type": "number"},
            "image": {"type": ["array", "null"], "items": _POINT},
            "world": {"type": ["array", "null"], "items": _POINT},
        },
    },
    Kind.STATE: {"type": "object", "description": "sim state snapshot"},
    Kind.EVENTS: {"type": "object", "description": "coach event: rule, severity, explanation (zh/en)"},
    Kind.COMMENT: {
        "type": "object",
        "description": "a comment on the session, e.g. from a mentor; optionally about a time range",
        "properties": {
            "author": {"type": "string"},
            "role": {"type": "string"},
            "text": {"type": "string"},
            "start": {"type": "number", "minimum": 0, "description": "range start, session seconds"},
            "end": {"type": "number", "minimum": 0, "description": "range end, session seconds"},
        },
        "dependentRequired": {"start": ["end"], "end": ["start"]},
    },
}


def schema_name(kind: Kind) -> str:
    return f"shixun.{kind.value}"


def schema(kind: Kind) -> bytes:
    """The JSON schema (draft 2020-12) of one channel's messages."""
    document = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": schema_name(kind),
        "type": "object",
        "required": ["v", "type", "station", "session", "seq", "t_mono", "t_wall", "body"],
        "properties": {
            "v": {"type": "integer"},
            "type": {"type": "string"},
            "station": {"type": "string"},
            "session": {"type": "string"},
            "seq": {"type": "integer", "minimum": 0},
            "t_mono": {"type": "number"},
            "t_wall": {"type": "number", "description": "Unix time, s"},
            "body": _BODIES[kind],
        },
    }
    return json.dumps(document).encode()
