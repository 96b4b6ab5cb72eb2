"""Any request map, of any op the endpoint knows, gets a reply and never raises (hypothesis)."""

from __future__ import annotations

from pathlib import Path

import msgpack
import pytest
import zmq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lab.bus.security import CurveKeys
from lab.bus.topics import user_zap_id
from lab.server.access import StaticAccess
from lab.server.archive import RecordingArchive
from lab.server.policy import Principal
from lab.server.relay import Relay, RelayEndpoints
from lab.server.requests import RequestServer
from lab.store.engine import make_engine, make_session_factory
from lab.store.migrate import upgrade

ANY = "tcp://127.0.0.1:*"
WANG = Principal(user_zap_id(1), "instructor", user_id=1, login="wang")
FIELDS = (
    "station",
    "session",
    "action",
    "fault",
    "wind_mps",
    "gust_mps",
    "text",
    "start",
    "end",
    "skip",
    "kinds",
)
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**64 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=80),
    st.sampled_from(["st01", "s1", "set_wind", "inject_fault", "pose", "comment", "video"]),
    st.lists(st.sampled_from(["pose", "state", "video", "x"]), max_size=3),
    st.lists(
        st.one_of(st.dictionaries(st.text(max_size=3), st.integers(-9, 9)), st.lists(st.integers(-9, 9))),
        max_size=2,
    ),
    st.binary(max_size=16),
)
REQUESTS = st.fixed_dictionaries(
    {"op": st.sampled_from(["whoami", "sessions", "comment", "control", "recordings", "replay"])},
    optional={name: VALUES for name in FIELDS},
)


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory):
    folder: Path = tmp_path_factory.mktemp("fuzz-requests")
    url = f"sqlite:///{folder / 'shixun.db'}"
    upgrade(url)
    engine = make_engine(url)
    ctx = zmq.Context()
    server = CurveKeys.generate()
    access = StaticAccess({b"wang": WANG})
    relay = Relay(ctx, access, server, RelayEndpoints(ANY, ANY, ANY))
    relay.start()
    archive = RecordingArchive(make_session_factory(engine), folder / "recordings")
    requests = RequestServer(
        ctx, access, server, ANY, relay.authenticator, relay.inject_endpoint, archive=archive
    )
    requests.start()
    yield requests
    requests.stop()
    relay.stop()
    ctx.destroy(linger=0)
    engine.dispose()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(request=REQUESTS)
def test_every_request_gets_a_bilingual_answer(endpoint: RequestServer, request: dict) -> None:
    reply = endpoint.handle(WANG, msgpack.packb(request, use_bin_type=True))
    assert isinstance(reply, dict) and isinstance(reply["ok"], bool)
    assert reply.get("error", {}).get("en") != "internal error on the lab server; try again later"
    if not reply["ok"]:
        assert set(reply["error"]) == {"zh", "en"} and all(reply["error"].values())
