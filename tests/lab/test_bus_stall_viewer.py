"""A viewer app that stops reading must never abort, and a dead viewer link must still be found.

libzmq 4.3 aborts with "Assertion failed: _input_stopped" (zeromq/libzmq #3937, #4767; fix proposed
in PR #4830) when a CONNECTING receiver stopped reading because its queue was full and its link is
then re-made — with ZMTP heartbeats, a stall longer than the heartbeat timeout does exactly that,
since PINGs are not read while input is stopped. Viewer receivers and the relay's viewer XPUBs
therefore use no heartbeat timeout (`lab.bus.sockets.RECEIVER_LINK`, `Relay.viewer_link`) and TCP
keepalive, which the kernel answers while the app does not read. Everything runs in child
processes, so an abort is an exit status (-6), not a dead pytest.
"""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest
import zmq

from lab.bus.sockets import Receiver
from lab.bus.topics import Kind, Topic

POSE = Topic(Kind.POSE, "st01", "s1")

# What both stall tests run in their child process: `stall` reads for `read_s`, stops reading for
# STALL_S with a full queue, then reads for 2 s, and says how many messages arrived before the stall
# and how many of those sent after it arrived.
STALL_HARNESS = r"""
import json, time
from lab.bus.topics import Kind, Topic

STALL_S = 6.0
POSE = Topic(Kind.POSE, "st01", "s1")


def flood(publisher, receiver, seconds, read):
    sent_at = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for _ in range(50):
            publisher.send(POSE, {"t": time.monotonic(), "pad": "x" * 2000})
        while read and (message := receiver.recv(0)) is not None:
            sent_at.append(message.envelope.body["t"])
        time.sleep(0.001)
    return sent_at


def stall(publisher, receiver, read_s):
    before = flood(publisher, receiver, read_s, read=True)
    flood(publisher, receiver, STALL_S, read=False)  # the app hangs: the queues fill, the publisher drops
    resumed = time.monotonic()
    after = flood(publisher, receiver, 2.0, read=True)
    return {"before": len(before), "fresh": sum(t > resumed for t in after)}
"""

# The relay's viewer side publishing flat out to one connecting viewer `Receiver`, which reads for
# 1 s, stalls (its queue of 300 messages fills), then reads again. argv[1]: "now" (the options in
# use) or "old" (both sides with the former 1 s / 3 s ZMTP heartbeats).
STALL = (
    STALL_HARNESS
    + r"""
import sys
import zmq
from lab.bus.security import CurveKeys
from lab.bus.sockets import DEFAULT_LINK, Publisher, Receiver
from lab.server.access import StaticAccess
from lab.server.policy import AccessFacts
from lab.server.relay import Relay

old = sys.argv[1] == "old"
ctx = zmq.Context()
relay_side = Relay(ctx, StaticAccess({}, AccessFacts()), CurveKeys.generate()).viewer_link
publisher = Publisher(ctx, "tcp://127.0.0.1:*", bind=True, link=DEFAULT_LINK if old else relay_side)
receiver = Receiver(ctx, publisher.endpoint, [POSE], **({"link": DEFAULT_LINK} if old else {}))
while not publisher.wanted(POSE):
    time.sleep(0.01)
print(json.dumps(stall(publisher, receiver, 1.0)))
"""
)

# The same through a real relay (CurveZMQ, an invited mentor, a station flooding its keypoints); the
# mentor reads for 2 s, then its queue at the relay and its own fill up during the stall.
# With the old heartbeat options this path did not abort in the runs tried here (the XPUB above
# does, every time), so it shows recovery end to end; the bug itself is shown above.
STALL_VIA_RELAY = (
    STALL_HARNESS
    + r"""
from datetime import UTC, datetime, timedelta
import zmq
from lab.auth.permissions import Invitation, Subject
from lab.bus.security import CurveClient, CurveKeys
from lab.bus.sockets import Publisher, Receiver
from lab.bus.topics import station_zap_id, user_zap_id
from lab.server.access import StaticAccess
from lab.server.policy import AccessFacts, Principal, SessionFacts
from lab.server.relay import Relay, RelayEndpoints

ctx = zmq.Context()
server, station, mentor = CurveKeys.generate(), CurveKeys.generate(), CurveKeys.generate()
alice = Principal(user_zap_id(1), "mentor", user_id=1, login="alice")
now = datetime.now(UTC)
invitation = Invitation(1, now - timedelta(hours=1), now + timedelta(hours=1), session_id="s1")
facts = AccessFacts({"s1": SessionFacts("st01", Subject(learner_id=42, session_id="s1", invitations=(invitation,)))})
access = StaticAccess(
    {station.public: Principal(station_zap_id("st01"), "station", station="st01"), mentor.public: alice}, facts
)
anywhere = "tcp://127.0.0.1:*"
# streams=1: a viewer queue of 300 messages, full within the stall
relay = Relay(ctx, access, server, RelayEndpoints(anywhere, anywhere, anywhere), refresh_s=0.1, streams=1)
relay.start()
publisher = Publisher(ctx, relay.endpoints.stations, curve=CurveClient(station, server.public))
viewer = Receiver(
    ctx, relay.endpoints.viewers, [POSE], view_prefix=alice.view_prefix, curve=CurveClient(mentor, server.public)
)
report = stall(publisher, viewer, 2.0)
relay.stop()
print(json.dumps(report))
ctx.destroy(linger=0)
"""
)

# A viewer whose relay's network vanishes (the namespace's loopback goes down: no FIN, no RST, no
# answer): TCP keepalive notices, and the viewer comes back to a relay that starts again there.
VANISH = r"""
import json, subprocess, time
import zmq
from lab.bus.security import CurveKeys
from lab.bus.sockets import Publisher, Receiver
from lab.bus.topics import Kind, Topic
from lab.server.access import StaticAccess
from lab.server.policy import AccessFacts
from lab.server.relay import Relay

subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
ctx = zmq.Context()
relay_side = Relay(ctx, StaticAccess({}, AccessFacts()), CurveKeys.generate()).viewer_link
POSE = Topic(Kind.POSE, "st01", "s1")
publisher = Publisher(ctx, "tcp://127.0.0.1:*", bind=True, link=relay_side)
receiver = Receiver(ctx, publisher.endpoint, [POSE])
monitor = receiver.socket.get_monitor_socket(zmq.EVENT_DISCONNECTED)
while not publisher.wanted(POSE):
    time.sleep(0.01)
publisher.send(POSE, {"relay": 1})
first = receiver.recv(5000)
subprocess.run(["ip", "link", "set", "lo", "down"], check=True)
detected = bool(monitor.poll(30_000))
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
endpoint = publisher.endpoint
publisher.close()
publisher = None
while publisher is None:  # the old socket lets go of the port asynchronously
    try:
        publisher = Publisher(ctx, endpoint, bind=True, link=relay_side)
    except zmq.ZMQError:
        time.sleep(0.05)
back = None
deadline = time.monotonic() + 15
while back is None and time.monotonic() < deadline:
    publisher.send(POSE, {"relay": 2})
    back = receiver.recv(100)
print(json.dumps({"first": first is not None, "detected": detected, "back": back and back.envelope.body}))
"""

# A relay process (its viewer side) publishing until it is killed.
RELAY_PROCESS = r"""
import sys, time
import zmq
from lab.bus.security import CurveKeys
from lab.bus.sockets import Publisher
from lab.bus.topics import Kind, Topic
from lab.server.access import StaticAccess
from lab.server.policy import AccessFacts
from lab.server.relay import Relay

ctx = zmq.Context()
relay_side = Relay(ctx, StaticAccess({}, AccessFacts()), CurveKeys.generate()).viewer_link
publisher = Publisher(ctx, sys.argv[1], bind=True, link=relay_side)
while True:
    publisher.send(Topic(Kind.POSE, "st01", "s1"), {"relay": sys.argv[2]})
    time.sleep(0.01)
"""


def _run(code: str, *args: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    command = [*prefix, sys.executable, "-c", code, *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def _report(done: subprocess.CompletedProcess) -> dict:
    assert done.returncode == 0, done.stderr[-2000:]  # an abort is -6 (SIGABRT)
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.slow
def test_a_viewer_that_stalls_with_a_full_queue_reads_again_without_aborting():
    report = _report(_run(STALL, "now"))
    assert report["before"] > 0
    assert report["fresh"] > 0  # data sent after the stall still arrives: the link was kept


@pytest.mark.slow
def test_with_heartbeat_timeouts_the_same_stall_aborts_the_viewer_in_this_libzmq():
    """The bug the options above avoid (it makes the test above meaningful). It reproduced on every
    run here; a libzmq with PR #4830 would survive, which only skips this test."""
    done = _run(STALL, "old")
    if done.returncode == 0:
        pytest.skip("this libzmq no longer aborts here: libzmq #3937 is fixed")
    assert done.returncode == -signal.SIGABRT
    assert "_input_stopped" in done.stderr


@pytest.mark.slow
def test_a_mentor_stalled_behind_a_real_relay_reads_fresh_data_again():
    report = _report(_run(STALL_VIA_RELAY))
    assert report["before"] > 0
    assert report["fresh"] > 0


def _can_make_a_network_namespace() -> bool:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(not _can_make_a_network_namespace(), reason="needs unshare -n (root) and ip")
def test_a_vanished_relay_is_found_by_tcp_keepalive_and_the_viewer_comes_back():
    """Without keepalive (and without heartbeats) the link is never found dead: tried, 30 s."""
    report = _report(_run(VANISH, prefix=("unshare", "-n")))
    assert report["first"]
    assert report["detected"]
    assert report["back"] == {"relay": 2}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_relay(endpoint: str, name: str) -> subprocess.Popen:
    command = [sys.executable, "-c", RELAY_PROCESS, endpoint, name]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _from(receiver: Receiver, name: str, timeout_s: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        message = receiver.recv(100)
        if message is not None and message.envelope.body["relay"] == name:
            return True
    return False


def test_a_killed_relay_process_is_noticed_and_the_viewer_reconnects_to_the_next_one():
    endpoint = f"tcp://127.0.0.1:{_free_port()}"
    ctx = zmq.Context()
    receiver = Receiver(ctx, endpoint, [POSE])
    relays = [_start_relay(endpoint, "first")]
    try:
        assert _from(receiver, "first")
        relays[0].send_signal(signal.SIGKILL)
        relays[0].wait()
        while receiver.recv(200) is not None:
            pass  # what was in flight
        assert receiver.recv(500) is None  # the relay is gone
        relays.append(_start_relay(endpoint, "second"))
        assert _from(receiver, "second")
    finally:
        for relay in relays:
            relay.kill()
            relay.wait()
        receiver.close()
        ctx.destroy(linger=0)


RESTART_DURING_STALL = (
    "RELAY_PROCESS = "
    + repr(RELAY_PROCESS.replace("time.sleep(0.01)", "pass"))  # flat out
    + r"""
import json, socket, subprocess, sys, time
import zmq
from lab.bus.sockets import Receiver
from lab.bus.topics import Kind, Topic

with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    endpoint = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
ctx = zmq.Context()
receiver = Receiver(ctx, endpoint, [Topic(Kind.POSE, "st01", "s1")])


def start(name):
    return subprocess.Popen([sys.executable, "-c", RELAY_PROCESS, endpoint, name])


relay = start("first")
while receiver.recv(100) is None:
    pass
time.sleep(2.0)  # not reading: the queue fills
relay.kill()
relay.wait()
relay = start("second")
time.sleep(3.0)  # still not reading
relays = set()
deadline = time.monotonic() + 10
while time.monotonic() < deadline and relays != {"first", "second"}:
    message = receiver.recv(100)
    if message is not None:
        relays.add(message.envelope.body["relay"])
relay.kill()
relay.wait()
print(json.dumps({"relays": sorted(relays)}))
"""
)


@pytest.mark.slow
def test_a_relay_that_restarts_while_the_viewer_stalls_with_a_full_queue_does_not_abort_it():
    """The link is re-made during the stall here too, but not by a timeout of the stalled engine: it
    learns of the dead link only when it reads again. Run in a child process like the others."""
    done = _run(RESTART_DURING_STALL)
    assert _report(done) == {"relays": ["first", "second"]}
