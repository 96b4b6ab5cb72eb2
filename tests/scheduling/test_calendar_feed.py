"""Calendar subscription feeds over real HTTP on loopback: token required, feeds parse with icalendar."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from icalendar import Calendar
from scheduling_world import NOW, TZ, Lab, local

from lab.scheduling.bookings import book, resolve_parties
from lab.scheduling.registry import get_equipment
from station_app.admin.calendar_feed import make_server

TOKEN = "s3cret-feed-token"


@pytest.fixture
def feed_url(lab: Lab) -> Iterator[str]:
    with lab.sessions.begin() as session:
        parties = resolve_parties(session, class_code="2A")
        for day in (24, 25):
            book(
                session,
                get_equipment(session, "station 3"),
                local(day, 14),
                local(day, 15),
                parties,
                now=NOW,
                tz=TZ,
            )
    server = make_server(lab.sessions, "127.0.0.1", 0, TOKEN, days=30, lang="en", clock=lambda: NOW)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def get(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read(), response.headers["Content-Type"]
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers["Content-Type"]


@pytest.mark.parametrize("path", ["/equipment/station%203.ics", "/class/2A.ics"])
def test_feeds_parse_as_icalendar(feed_url: str, path: str) -> None:
    status, body, content_type = get(f"{feed_url}{path}?token={TOKEN}")
    assert status == 200 and content_type.startswith("text/calendar")
    events = Calendar.from_ical(body).walk("VEVENT")
    assert [e.decoded("dtstart") for e in events] == [local(24, 14), local(25, 14)]


def test_feeds_need_the_token_and_a_known_name(feed_url: str) -> None:
    assert get(f"{feed_url}/class/2A.ics")[0] == 403
    assert get(f"{feed_url}/class/2A.ics?token=guess")[0] == 403
    status, body, _ = get(f"{feed_url}/learner/L404.ics?token={TOKEN}")
    assert status == 404 and body == b"no learner L404\n"
    assert get(f"{feed_url}/passwords.txt?token={TOKEN}")[0] == 404
    status, body, _ = get(f"{feed_url}/learner/L001.ics?token={TOKEN}")
    assert status == 200 and Calendar.from_ical(body).walk("VEVENT") == []
