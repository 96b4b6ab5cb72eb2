"""The instructor console's live grid when the lab server's request endpoint hangs (a real CURVE
socket on its port that takes requests and never answers): the window stays responsive while the
session-list request is in flight, the tab says the server is not answering, the card keeps showing
the live stream, a fault request is refused at once (not applied late); when the real endpoint is back
on the same port the console recovers without a restart and a fault request reaches the station.
Real relay, store, station session and sockets on loopback (live_lab_world); no timed assertions."""

from __future__ import annotations

from gui_responsiveness import NOT_ANSWERING, Ticker
from live_lab_world import CRANE, LiveLab, wang

from scenarios.paramspace import Space
from station_app.instructor.common import ConsoleContext
from station_app.instructor.window import InstructorWindow
from station_app.views.i18n import Language


def test_a_hung_lab_server_keeps_the_grid_responsive_and_it_recovers(qtbot, lab_store) -> None:
    lab = LiveLab(lab_store)
    try:
        lab.session.start()
        window = InstructorWindow(
            ConsoleContext(lab_store, wang(lab_store), Space(CRANE), Language("en"), lab.link)
        )
        qtbot.addWidget(window)
        window.show()
        live = window.live
        window.tabs.setCurrentWidget(live)

        def step_until(condition, timeout: int = 30_000) -> None:
            def check() -> bool:
                lab.session.step()
                return condition()

            qtbot.waitUntil(check, timeout=timeout)

        step_until(lambda: lab.key in live.cards and live.cards[lab.key].snapshot is not None)
        card = live.cards[lab.key]

        lab.hang_requests()
        ticks = Ticker()
        live.refresh_sessions()  # the list request now goes to a server that never answers
        assert live.lab.busy
        at_ask = ticks.n
        step_until(lambda: NOT_ANSWERING in live.note.text())
        step_until(lambda: ticks.n > at_ask + 20)  # the event loop ran meanwhile...
        assert live.lab.busy  # ...with the request still unanswered
        held = card.snapshot["t"]
        step_until(lambda: card.snapshot["t"] > held + 1.0)  # the stream goes on, the card follows

        card.fault.setCurrentIndex(card.fault.findData("sudden_gust"))
        card.inject_button.click()
        step_until(lambda: window.statusBar().currentMessage().startswith("⚠"))
        assert window.statusBar().currentMessage() == "⚠ lab server not answering: the request was not sent"

        lab.answer_again()  # the real endpoint, same port: the unanswered request is sent again
        step_until(lambda: NOT_ANSWERING not in live.note.text(), timeout=90_000)
        assert not lab.applied  # the refused request was never sent
        card.inject_button.click()
        step_until(lambda: bool(lab.applied))
        assert lab.applied[0]["accepted"] and lab.applied[0]["fault"] == "sudden_gust"
        step_until(lambda: window.statusBar().currentMessage() == "asked station-01 to inject sudden_gust")
        window.close()
        assert not live.lab.running
    finally:
        lab.close()
