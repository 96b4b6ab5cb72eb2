"""Calendar subscriptions: a small read-only HTTP server of iCalendar feeds, one per resource, class
and learner, for calendar apps to subscribe to (they poll the URL; events keep their UIDs).

URLs: `/equipment/<name>.ics`, `/class/<code>.ics`, `/learner/<code>.ics`, each with `?token=…`.
Calendar apps cannot log in, so the feed is protected by a secret token in the URL (the usual
design for calendar subscriptions); it listens on loopback unless told otherwise.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy.orm import Session, sessionmaker

from lab.bus.text import Lang, Text, UserError
from lab.scheduling.bookings import list_bookings, resolve_parties
from lab.scheduling.ical import to_ical
from lab.scheduling.registry import get_equipment
from lab.store.types import utc_now

FEED_KINDS = ("equipment", "class", "learner")


def feed(session: Session, kind: str, key: str, start: datetime, days: int, lang: Lang) -> bytes:
    """The .ics bytes of one feed; UserError for an unknown kind, resource, class or learner."""
    if kind == "equipment":
        equipment = get_equipment(session, key)
        filters, title = (
            {"equipment_id": equipment.id},
            Text(f"{equipment.name} 预约", f"{equipment.name} bookings"),
        )
    elif kind == "class":
        school_class = resolve_parties(session, class_code=key).school_class
        filters, title = {"class_id": school_class.id}, Text(f"班级 {key} 实训", f"class {key} practice")
    elif kind == "learner":
        learner = resolve_parties(session, learner_code=key).learner
        filters, title = {"learner_id": learner.id}, Text(f"学员 {key} 实训", f"learner {key} practice")
    else:
        raise UserError(f"未知的日历类型 {kind}", f"unknown calendar kind {kind}")
    views = list_bookings(session, start, start + timedelta(days=days), **filters)
    return to_ical(views, title, lang, utc_now())


def make_server(
    sessions: sessionmaker[Session],
    host: str,
    port: int,
    token: str,
    days: int,
    lang: Lang,
    clock: Callable[[], datetime] = utc_now,
) -> ThreadingHTTPServer:
    """A server (not yet serving) whose feeds start a week before `clock()` and reach `days` ahead."""

    class FeedHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            given = parse_qs(url.query).get("token", [""])[0]
            if not hmac.compare_digest(given.encode(), token.encode()):
                self._reply(HTTPStatus.FORBIDDEN, b"forbidden\n", "text/plain")
                return
            parts = [unquote(p) for p in url.path.strip("/").split("/")]
            if len(parts) != 2 or parts[0] not in FEED_KINDS or not parts[1].endswith(".ics"):
                self._reply(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain")
                return
            try:
                with sessions() as session:
                    body = feed(
                        session,
                        parts[0],
                        parts[1].removesuffix(".ics"),
                        clock() - timedelta(days=7),
                        days,
                        lang,
                    )
            except UserError as error:
                self._reply(
                    HTTPStatus.NOT_FOUND, (error.message(lang) + "\n").encode(), "text/plain; charset=utf-8"
                )
                return
            self._reply(HTTPStatus.OK, body, "text/calendar; charset=utf-8")

        def _reply(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: request lines would carry the token."""

    return ThreadingHTTPServer((host, port), FeedHandler)


def serve(server: ThreadingHTTPServer, announce: Callable[[str], None]) -> None:
    host, port = server.server_address[:2]
    announce(f"http://{host}:{port}/<equipment|class|learner>/<name>.ics?token=…")
    try:
        server.serve_forever()
    finally:
        server.server_close()
