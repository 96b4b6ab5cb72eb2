"""A headless session flat out against a subscriber that stalls: no process may abort.

libzmq 4.3 aborts a subscriber's process ("Assertion failed: _input_stopped", libzmq #3937/#4767) when
its receive queue is full (so it stopped reading its socket), its ZMTP heartbeat then times out and the
link is re-made, and it reads again. The runtime paces its live stream at the real-time rate, so a
headless session, many times faster than real time, gives a stalled subscriber no more than a real
station would. The session and the subscriber run in a child process, so an abort shows as its exit
status instead of killing pytest; the child can also run unpaced, which is what aborts.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CHILD = r"""
import json, sys, threading
from pathlib import Path
import zmq
from lab.bus.sockets import Publisher, Receiver
from lab.bus.topics import Kind, Topic
from lab.store.engine import make_engine, make_session_factory
from lab.store.migrate import upgrade
from scenarios.spec import get_spec
from sim.runner import make_operator
from station_app.runtime import live
from station_app.runtime.session import SessionSettings, StationSession

out, paced = Path(sys.argv[1]), sys.argv[2] == "paced"
if not paced:
    live.LIVE_PACE.clear()
engine = make_engine(f"sqlite:///{out / 'store.db'}")
upgrade(engine)
context = zmq.Context()
publisher = Publisher(context, "tcp://127.0.0.1:*", bind=True)
viewer = Receiver(context, publisher.endpoint, [b"state/st01/"], [Kind.STATE])  # a queue of 300
while not publisher.wanted(Topic(Kind.STATE, "st01", "probe")):
    threading.Event().wait(0.01)
finished, received = threading.Event(), []

def stalled_viewer():
    finished.wait()
    threading.Event().wait(5.0)  # frozen longer than the heartbeat timeout (3 s) with a full queue
    while (message := viewer.recv(timeout_ms=1000)) is not None:  # then reading again
        received.append(message.envelope.seq)

reader = threading.Thread(target=stalled_viewer)
reader.start()
session = StationSession(
    make_session_factory(engine), get_spec("crane.bridge_lift"), "learner-1",
    make_operator("autopilot:0.7", "crane"), None, SessionSettings(station="st01"), publisher,
)
debrief = session.run()
finished.set()
reader.join()  # the station stays on line meanwhile (the demo's next attempt)
viewer.close()
publisher.close()
context.term()
print(json.dumps({"received": received, "recorded": debrief.messages, "published": debrief.published}))
"""


@pytest.mark.slow
def test_a_headless_session_does_not_abort_a_subscriber_that_stalls(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path), "paced"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]  # an abort is -6 (SIGABRT)
    report = json.loads(done.stdout.splitlines()[-1])
    received, published, recorded = report["received"], report["published"], report["recorded"]
    assert received == sorted(received) and received[-1] == recorded["state"] - 1  # the final state arrives
    assert len(received) <= published["state"] < recorded["state"]  # live thinned, recording complete
