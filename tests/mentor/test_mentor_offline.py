"""The mentor app when the lab server stops answering (station_app.netclient): the window stays
responsive while a request is in flight, says so on its status line, keeps the replay it has, queues
the comment written meanwhile, and — when the lab server's request endpoint is started again on the
same port — recovers without a restart and the comment is stored with the session. Real lab server,
recorder, store and station sessions on loopback (mentor_world); no timed assertions."""

from __future__ import annotations

from gui_responsiveness import NOT_ANSWERING, Ticker
from mentor_world import listed_when, try_login
from PyQt6.QtWidgets import QMessageBox

from lab.recording.mcap_io import read_recording
from station_app.mentor.connection import Identity, connect
from station_app.mentor.login import MentorLoginDialog
from station_app.mentor.timeline import Mode
from station_app.mentor.window import MentorSettings, MentorWindow


def _remote_window(qtbot, lab) -> tuple[MentorWindow, object]:
    """A mentor with only a key bundle: list, replay and comments all go through the lab server."""
    link = connect(lab.ctx, lab.endpoints, lab.bundle, None)
    window = MentorWindow(Identity(None, link), None, MentorSettings(None), "en")
    qtbot.addWidget(window)
    window.show()
    return window, link


def test_server_away_the_window_stays_usable_and_the_queued_comment_arrives_later(qtbot, mentor_lab) -> None:
    lab = mentor_lab
    lab.drive(60)
    for station in lab.stations.values():
        station.session.finish()
    invited = lab.stations["st01"].id
    window, link = _remote_window(qtbot, lab)
    listed_when(qtbot, window, bool)
    window.session_list.setCurrentRow(0)
    window.open_button.click()
    qtbot.waitUntil(lambda: window.timeline is not None, timeout=20000)
    replay = window.timeline
    assert window.connection.text() == ""

    lab.requests.stop()  # the request endpoint is gone (port closed)
    ticks = Ticker()
    window.comment_text.setText("吊钩先升高 raise the hook first")
    window.send_button.click()
    assert window.lab.busy  # the click returned while the request waits for an answer
    assert "waiting to be sent" in window.comment_list.item(window.comment_list.count() - 1).text()
    at_send = ticks.n
    qtbot.waitUntil(lambda: NOT_ANSWERING in window.connection.text(), timeout=20000)
    assert "1 comment(s) waiting to be sent" in window.connection.text()
    qtbot.waitUntil(lambda: ticks.n > at_send + 20, timeout=20000)  # the event loop ran meanwhile
    assert window.lab.busy  # ...with the comment still unanswered

    # what was loaded stays usable: the replay plays on, the list stays
    window.play_button.click()
    qtbot.waitUntil(lambda: window.playhead.position > replay.start + 1.0, timeout=20000)
    window.play_button.click()
    assert window.timeline is replay and window.playhead.mode is Mode.PAUSED
    window.refresh_button.click()  # asking again while away queues one question, nothing freezes
    assert [s.session for s in listed_when(qtbot, window, bool)] == [invited]

    lab.restart_requests()  # the lab server is back, same port and keys
    qtbot.waitUntil(lambda: window.status.text() == "comment sent", timeout=60000)
    qtbot.waitUntil(lambda: window.connection.text() == "", timeout=20000)
    stored = sorted(lab.recordings.glob(f"st01_{invited}-comment-*.mcap"))
    assert [m.envelope.body["text"] for path in stored for m in read_recording(path)] == [
        "吊钩先升高 raise the hook first"
    ]

    window.open_button.click()  # requests work again without a restart: the replay now has it
    qtbot.waitUntil(lambda: window.timeline is not replay, timeout=20000)
    assert [c.annotation.text for c in window.timeline.comments] == ["吊钩先升高 raise the hook first"]
    window.close()
    assert not window.lab.running
    link.close()


def test_closing_while_a_request_is_in_flight_ends_the_worker(qtbot, mentor_lab) -> None:
    window, link = _remote_window(qtbot, mentor_lab)
    listed_when(qtbot, window, bool)
    mentor_lab.requests.stop()
    window.refresh_button.click()
    assert window.lab.busy
    qtbot.waitUntil(lambda: NOT_ANSWERING in window.connection.text(), timeout=20000)
    window.close()  # no comment waits, so no question: the worker is interrupted and joined
    assert not window.isVisible() and not window.lab.running and not window.lab.busy
    link.close()


def test_logging_in_while_the_server_is_away_keeps_the_dialog_responsive(qtbot, mentor_lab) -> None:
    mentor_lab.requests.stop()
    dialog = MentorLoginDialog(
        mentor_lab.store, "en", mentor_lab.ctx, mentor_lab.endpoints, str(mentor_lab.bundle)
    )
    qtbot.addWidget(dialog)
    ticks = Ticker()
    dialog.try_login()  # a key bundle alone: only the lab server can say who this is
    assert dialog.connecting is not None and "reaching the lab server" in dialog.error.text()
    at_press = ticks.n
    qtbot.waitUntil(lambda: dialog.connecting is None, timeout=20000)
    assert ticks.n > at_press  # the event loop ran while the server was being asked
    assert dialog.identity is None and "did not answer" in dialog.error.text()
    mentor_lab.restart_requests()
    try_login(qtbot, dialog)  # the same dialog, once the server is back
    assert dialog.identity is not None and dialog.identity.link is not None
    dialog.identity.close()


def test_cancelling_the_log_in_while_the_server_is_asked_ends_the_attempt(qtbot, mentor_lab) -> None:
    mentor_lab.requests.stop()
    dialog = MentorLoginDialog(
        mentor_lab.store, "en", mentor_lab.ctx, mentor_lab.endpoints, str(mentor_lab.bundle)
    )
    qtbot.addWidget(dialog)
    dialog.try_login()
    assert dialog.connecting is not None
    dialog.reject()  # Cancel: the attempt ends (bounded by REQUEST_TIMEOUT_MS), nothing is left open
    assert dialog.connecting is None and dialog.identity is None
    assert dialog.result() == MentorLoginDialog.DialogCode.Rejected


def test_closing_with_an_unsent_comment_asks_first(qtbot, mentor_lab, monkeypatch) -> None:
    """The one way a queued comment can be lost is closing the app: the mentor is asked (the question
    is a modal box a person answers; here its answer is given)."""
    window, link = _remote_window(qtbot, mentor_lab)
    listed_when(qtbot, window, bool)
    window.session_list.setCurrentRow(0)
    window.open_button.click()  # the live session (keypoints)
    mentor_lab.requests.stop()
    window.comment_text.setText("wait for me")
    window.send_button.click()
    asked: list[str] = []

    def answer(reply):
        def question(_parent, _title, text, *_args):
            asked.append(text)
            return reply

        return question

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.No))
    window.close()
    assert window.isVisible() and window.lab.running and window.lab.busy  # kept, still trying
    assert "1 comment(s) have not reached the lab server" in asked[0]
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Yes))
    window.close()
    assert not window.isVisible() and not window.lab.running
    link.close()
