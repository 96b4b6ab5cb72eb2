"""Issue #8: a remote mentor (key bundle, no store account) lists and replays the recorded sessions
they are invited to through the lab server's request endpoint, and comments on a finished session
with a time range — real relay, recorder, request endpoint, store and station sessions (mentor_world)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lab.bus.requests import RequestFailed
from lab.bus.security import CurveClient, CurveKeys
from lab.bus.topics import Kind
from lab.bus.viewer_link import ViewerLink
from lab.recording.mcap_io import read_recording
from lab.server import archive
from lab.store.models import AuditEntry


def _finished(mentor_lab) -> tuple[str, str]:
    mentor_lab.drive(60)
    for station in mentor_lab.stations.values():
        station.session.finish()
    return mentor_lab.stations["st01"].id, mentor_lab.stations["st02"].id


def test_mentor_lists_replays_pages_and_comments_on_a_finished_session(mentor_lab, monkeypatch) -> None:
    invited, other = _finished(mentor_lab)
    link = ViewerLink(mentor_lab.ctx, mentor_lab.endpoints, mentor_lab.curve("zhou"), timeout_ms=5000)
    try:
        assert [(r["session"], r["station"]) for r in link.recordings()] == [(invited, "st01")]
        monkeypatch.setattr(archive, "PAGE_MESSAGES", 50)  # many pages, to prove paging loses nothing
        paged = list(link.replay(invited))
        monkeypatch.setattr(archive, "PAGE_MESSAGES", 100_000)
        whole = list(link.replay(invited))
        assert len(whole) > 100 and [m.envelope for m in paged] == [m.envelope for m in whole]
        kinds = {m.kind for m in (message.topic for message in whole)}
        assert {Kind.POSE, Kind.STATE, Kind.EVENTS} <= kinds
        times = [m.envelope.t_wall for m in whole]
        assert times == sorted(times)
        middle = times[len(times) // 2]
        window = list(link.replay(invited, start=middle, end=middle + 1.0))
        assert window and all(middle <= m.envelope.t_wall < middle + 1.0 for m in window)

        seq = link.comment("st01", invited, "吊钩摆动过大 too much sway here", span=(1.5, 3.0))
        comments = [m.envelope for m in link.replay(invited) if m.topic.kind is Kind.COMMENT]
        assert [(c.seq, c.body["start"], c.body["end"], c.body["role"]) for c in comments] == [
            (seq, 1.5, 3.0, "mentor")
        ]
        stored = list(mentor_lab.recordings.glob(f"st01_{invited}-comment-*.mcap"))
        assert [m.envelope.body["text"] for m in read_recording(stored[0])] == [
            "吊钩摆动过大 too much sway here"
        ]

        with pytest.raises(RequestFailed, match="invitation"):
            list(link.replay(other))
        with pytest.raises(RequestFailed, match="invitation"):
            link.comment("st02", other, "hi")
        with pytest.raises(RequestFailed, match="start and end"):
            link.requests.call("comment", station="st01", session=invited, text="x", start=2.0)
        with pytest.raises(RequestFailed, match="kinds"):
            link.requests.call("replay", session=invited, kinds=["video"])
        with pytest.raises(RequestFailed, match="end must be after start"):
            link.requests.call("replay", session=invited, start=5.0, end=4.0)
    finally:
        link.close()
    mentor_lab.audit.close()
    with mentor_lab.store() as db:
        actions = [(e.actor, e.action, e.resource) for e in db.scalars(select(AuditEntry))]
    assert ("mentor:zhou", "view:history", "recordings") in actions
    assert ("mentor:zhou", "view:history", f"session:{invited}") in actions
    assert ("mentor:zhou", "denied:view:history", f"session:{other}") in actions
    assert ("mentor:zhou", "edit:comments", f"session:{invited}") in actions


def _open_sockets(ctx) -> int:
    return sum(not sock.closed for sock in ctx._sockets)  # pyzmq's registry of the context's sockets


def test_a_failed_whoami_closes_the_request_socket(mentor_lab) -> None:
    stranger = CurveClient(CurveKeys.generate(), mentor_lab.server_keys.public)  # a key the lab refuses
    before = _open_sockets(mentor_lab.ctx)
    with pytest.raises(RequestFailed, match="did not answer"):
        ViewerLink(mentor_lab.ctx, mentor_lab.endpoints, stranger, timeout_ms=300)
    assert _open_sockets(mentor_lab.ctx) == before
