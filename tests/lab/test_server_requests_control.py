"""The request endpoint's `control` op on real loopback sockets (CurveZMQ, the relay's ZAP
authenticator): who may change a running session, what reaches the station, and what is refused."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import zmq

from lab.auth.permissions import Invitation, Subject
from lab.bus.requests import RequestClient, RequestFailed
from lab.bus.security import CurveClient, CurveKeys
from lab.bus.sockets import Receiver
from lab.bus.topics import station_zap_id, user_zap_id
from lab.server.access import StaticAccess
from lab.server.policy import AccessFacts, Principal, SessionFacts
from lab.server.relay import Relay, RelayEndpoints
from lab.server.requests import CONTROL_ACTION, RequestServer

ANY = "tcp://127.0.0.1:*"
NOW = datetime.now(UTC)
WANG, LI, ZHOU, ROOT = 1, 2, 3, 4
PEOPLE = {
    "wang": Principal(user_zap_id(WANG), "instructor", user_id=WANG, login="wang"),  # teaches s1's learner
    "li": Principal(user_zap_id(LI), "instructor", user_id=LI, login="li"),  # another class
    "zhou": Principal(user_zap_id(ZHOU), "mentor", user_id=ZHOU, login="zhou"),  # invited to watch
    "root": Principal(user_zap_id(ROOT), "admin", user_id=ROOT, login="root"),
    "st01": Principal(station_zap_id("st01"), "station", station="st01"),
}


class RecordingAudit:
    def __init__(self) -> None:
        self.entries: list[tuple[str, str, str, dict[str, Any]]] = []

    def record(self, principal: Principal, action: str, session: str, detail: dict[str, Any]) -> None:
        self.entries.append((principal.zap_id, action, session, detail))


@pytest.fixture
def lab():
    ctx = zmq.Context()
    server = CurveKeys.generate()
    keys = {name: CurveKeys.generate() for name in PEOPLE}
    invitation = Invitation(ZHOU, NOW - timedelta(hours=1), NOW + timedelta(hours=1), session_id="s1")
    subject = Subject(learner_id=42, class_instructor_id=WANG, session_id="s1", invitations=(invitation,))
    access = StaticAccess(
        {keys[n].public: p for n, p in PEOPLE.items()}, AccessFacts({"s1": SessionFacts("st01", subject)})
    )
    relay = Relay(ctx, access, server, RelayEndpoints(ANY, ANY, ANY), refresh_s=0.1)
    relay.start()
    audit = RecordingAudit()
    requests = RequestServer(
        ctx, access, server, ANY, relay.authenticator, relay.inject_endpoint, audit=audit
    )
    requests.start()
    station = Receiver(
        ctx,
        relay.endpoints.viewers,
        [b"comment/st01/"],
        view_prefix=PEOPLE["st01"].view_prefix,
        curve=CurveClient(keys["st01"], server.public),
    )

    def client(name: str) -> RequestClient:
        return RequestClient(ctx, requests.endpoint, CurveClient(keys[name], server.public), timeout_ms=3000)

    time.sleep(0.3)  # the station's subscription reaches the relay
    yield client, station, audit
    station.close()
    requests.stop()
    relay.stop()
    ctx.destroy(linger=0)


def test_the_class_instructor_s_change_reaches_the_station_as_a_control_envelope(lab) -> None:
    client, station, audit = lab
    reply = client("wang").call(
        "control", station="st01", session="s1", action="set_wind", wind_mps=6.5, gust_mps=2.0
    )
    message = station.recv(5000)
    assert message is not None and message.envelope.type == "control"
    assert message.envelope.seq == reply["seq"]
    assert message.envelope.body == {
        "action": "set_wind",
        "wind_mps": 6.5,
        "gust_mps": 2.0,
        "author": user_zap_id(WANG),
        "role": "instructor",
    }
    client("wang").call("control", station="st01", session="s1", action="inject_fault", fault="drive_lag")
    assert station.recv(5000).envelope.body["fault"] == "drive_lag"
    assert [(who, action) for who, action, _, _ in audit.entries] == [
        (user_zap_id(WANG), CONTROL_ACTION),
        (user_zap_id(WANG), CONTROL_ACTION),
    ]


@pytest.mark.parametrize(
    ("who", "fields", "message"),
    [
        ("li", {"action": "set_wind", "wind_mps": 3.0}, "class"),
        ("zhou", {"action": "set_wind", "wind_mps": 3.0}, "may not edit difficulty"),
        ("root", {"action": "inject_fault", "fault": "drive_lag"}, "may not edit difficulty"),
        ("wang", {"action": "format_disk"}, "inject_fault"),
        ("wang", {"action": "set_wind", "wind_mps": "strong"}, "inject_fault"),
        ("wang", {"action": "set_wind", "wind_mps": True}, "inject_fault"),
        ("wang", {"action": "inject_fault", "fault": ""}, "inject_fault"),
        ("wang", {"action": "set_wind", "wind_mps": 3.0, "session": "s9"}, "no such live session"),
        ("wang", {"action": "set_wind", "wind_mps": 3.0, "station": "st 01"}, "station"),
    ],
)
def test_refused_changes_are_one_line_errors_and_nothing_reaches_the_station(
    lab, who, fields, message
) -> None:
    client, station, audit = lab
    request = {"station": "st01", "session": "s1", **fields}
    with pytest.raises(RequestFailed, match=message):
        client(who).call("control", **request)
    assert station.recv(300) is None
    refused_by_the_matrix = who in ("li", "zhou", "root")  # bad requests never get that far
    expected = [(PEOPLE[who].zap_id, f"denied:{CONTROL_ACTION}")] if refused_by_the_matrix else []
    assert [(w, a) for w, a, _, _ in audit.entries] == expected


def test_stations_cannot_send_control_requests(lab) -> None:
    client, station, _audit = lab
    with pytest.raises(RequestFailed, match="not allowed to change this session"):
        client("st01").call("control", station="st01", session="s1", action="set_wind", wind_mps=1.0)
    assert station.recv(300) is None
