"""Issue #8: a remote mentor (key bundle, no store account) lists and replays the recorded sessions
they are invited to through the lab server's request endpoint, and comments on a finished session
with a time range — real relay, recorder, request endpoint, store and station sessions (mentor_world)."""

from __future__ import annotations

import pytest
from mentor_world import listed_when
from sqlalchemy import select

from lab.bus.requests import RequestFailed
from lab.bus.security import CurveClient, CurveKeys
from lab.bus.topics import Kind
from lab.bus.viewer_link import ViewerLink
from lab.recording.mcap_io import read_recording
from lab.server import archive
from lab.store.models import AuditEntry
from station_app.mentor.connection import Identity, connect
from station_app.mentor.window import MentorSettings, MentorWindow


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


def test_the_mentor_app_with_only_a_key_bundle_replays_and_annotates_a_recording(qtbot, mentor_lab) -> None:
    """No store account: the list, the replay and the comment all go through the lab server."""
    invited, _other = _finished(mentor_lab)
    link = connect(mentor_lab.ctx, mentor_lab.endpoints, mentor_lab.bundle, None)
    window = MentorWindow(Identity(None, link), None, MentorSettings(None), "en")
    qtbot.addWidget(window)
    window.show()
    listed = listed_when(qtbot, window, bool)
    assert [(s.station, s.session) for s in listed] == [("st01", invited)]
    window.session_list.setCurrentRow(0)
    window.open_button.click()  # paged from the lab server on the request worker
    qtbot.waitUntil(lambda: window.timeline is not None, timeout=20000)
    assert window.timeline.states > 30 and window.watch is None
    first = window.timeline
    window.bar.select(1.0, 2.5)
    window.comment_text.setText("这里减速 slow down here")
    window.send_button.click()
    qtbot.waitUntil(lambda: window.status.text() == "comment sent", timeout=20000)
    window.open_button.click()  # re-read from the server: the comment is part of the recording now
    qtbot.waitUntil(lambda: window.timeline is not first, timeout=20000)
    (note,) = window.timeline.comments
    assert (note.annotation.text, note.annotation.start, note.annotation.end) == (
        "这里减速 slow down here",
        1.0,
        2.5,
    )
    assert window.comment_list.item(0).text().startswith("[00:01.0–00:02.5]")
    window.close()
    link.close()
