"""Instructor requests to a running session: inject a fault, change the wind.

A request is checked here against the scenario spec (a known fault, a wind speed inside the
parameter's range) and sent to the lab server's request endpoint as op `control`, which is to pass it
to the station as a `control` message on the session's comment topic; the runtime applies it at its
next step and answers with a `session.control` event (`station_app.runtime.control`). The lab server
(`lab.server.requests`) checks that the caller may edit the learner's difficulty and audits it.
"""

from __future__ import annotations

from typing import Any, Protocol

from lab.bus.text import UserError
from scenarios.spec import Spec

CONTROL_OP = "control"


class Requests(Protocol):
    def call(self, op: str, **fields: Any) -> dict[str, Any]: ...


def inject_fault(spec: Spec, fault: str) -> dict[str, Any]:
    if fault not in spec.faults:
        known = ", ".join(spec.faults)
        raise UserError(
            f"场景没有故障 {fault}（可用：{known}）", f"the scenario has no fault {fault} (known: {known})"
        )
    return {"action": "inject_fault", "fault": fault}


def set_wind(spec: Spec, mean_mps: float) -> dict[str, Any]:
    wind = spec.parameters["wind_mps"]
    if not wind.min <= mean_mps <= wind.max:
        raise UserError(
            f"风速 {mean_mps} m/s 超出范围 {wind.min}–{wind.max} m/s",
            f"wind {mean_mps} m/s is outside {wind.min}-{wind.max} m/s",
        )
    return {"action": "set_wind", "wind_mps": float(mean_mps)}


def send(requests: Requests, station: str, session: str, body: dict[str, Any]) -> dict[str, Any]:
    """Send one control request for a live session; the server's refusal is a UserError (RequestFailed)."""
    return requests.call(CONTROL_OP, station=station, session=session, **body)
