"""Live changes to a running session from an instructor, received over the bus and applied between steps.

The instructor console asks the lab server (request op `control`, see `station_app.instructor.control`);
the server checks that this instructor may control the session and passes the request on to the station
on the session's comment topic as an envelope of type `control` (body: `action`, then `fault`, or
`wind_mps` and optionally `gust_mps`; plus the pseudonymous `author` and `role` it adds to comments).
The station reads that topic through its link (`StationLink.comments`: any callable returning the
messages that arrived) and the runtime applies each request at its next control step. Whatever
arrives is checked again by the scene against the scenario spec; a request that does not fit is
answered with a refused `session.control` event, never an exception in the station's loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from lab.bus.sockets import Message
from lab.bus.text import Text

CONTROL_TYPE = "control"  # envelope type of an instructor's request on a session's comment topic
EVENT_TYPE = "session.control"  # envelope type of the applied (or refused) change on the events topic
CHANGE_FIELDS = ("action", "fault", "wind_mps", "gust_mps")
MAX_TEXT = 64  # ids and names that travel are short (lab.bus.topics); longer strings are cut

Inbox = Callable[[], Iterable[Message]]


def requested_change(body: Mapping[str, Any]) -> dict[str, Any]:
    """The scene change a request asks for (known fields only; the scene validates the values)."""
    if not isinstance(body, Mapping):
        return {}
    return {k: _short(body[k]) for k in CHANGE_FIELDS if k in body}


def control_event(
    change: Mapping[str, Any],
    author: Any,
    role: Any,
    request_seq: int | None,
    refused: Text | None = None,
) -> dict[str, Any]:
    """The audit-friendly record of one change: what, at what sim time, asked by whom, and the outcome."""
    event = {
        **change,
        "author": _short(author),
        "role": _short(role),
        "request_seq": request_seq,
        "accepted": refused is None,
    }
    if refused is not None:
        event["error"] = refused.to_dict()
    return event


def _short(value: Any) -> Any:
    return value[:MAX_TEXT] if isinstance(value, str) else value
