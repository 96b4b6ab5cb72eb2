"""A lab for the instructor console's live grid, all real: a relay and request endpoint on loopback
(CurveZMQ, store-backed access, audit), one running station session (crane sim, autopilot, demo
trainee poses) that takes control requests from its StationLink inbox, and instructor wang's link."""

from __future__ import annotations

import time
from typing import Any

import zmq
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lab.auth.accounts import actor_of, find_user
from lab.auth.permissions import Actor
from lab.bus.security import CurveClient, CurveKeys, CurveServer
from lab.bus.sockets import Publisher
from lab.bus.station_link import LabEndpoints, StationLink
from lab.bus.viewer_link import ViewerEndpoints, ViewerLink
from lab.scheduling.registry import add_equipment
from lab.server.audit import StoreLiveAudit
from lab.server.relay import Relay, RelayEndpoints
from lab.server.requests import RequestServer
from lab.server.store_access import StoreAccess
from lab.store.models import EquipmentKind, User
from scenarios.spec import get_spec
from sim.runner import make_operator
from station_app.runtime.session import SessionSettings, StationSession
from station_app.runtime.trainee import demo_trainee

CRANE = get_spec("crane.bridge_lift")
ANY = "tcp://127.0.0.1:*"
STATION = "station-01"


class LiveLab:
    def __init__(self, store: sessionmaker[Session]) -> None:
        self.store = store
        self.server, station_keys, wang_keys = (
            CurveKeys.generate(),
            CurveKeys.generate(),
            CurveKeys.generate(),
        )
        with store.begin() as db:
            add_equipment(
                db, EquipmentKind.STATION, STATION, "Lab 1", [CRANE.id]
            ).curve_public_key = station_keys.public.decode()
            db.scalar(select(User).where(User.login == "wang")).curve_public_key = wang_keys.public.decode()
        self.ctx = zmq.Context()
        self.relay = Relay(
            self.ctx, StoreAccess(store.kw["bind"]), self.server, RelayEndpoints(ANY, ANY, ANY), refresh_s=0.1
        )
        self.relay.start()
        self.audit = StoreLiveAudit(store.kw["bind"])
        self.requests = self._request_server(ANY)
        self.requests.start()
        self.endpoint = self.requests.endpoint
        station_curve = CurveClient(station_keys, self.server.public)
        self.publisher = Publisher(self.ctx, self.relay.endpoints.stations, curve=station_curve)
        self.station_link = StationLink(
            self.ctx,
            STATION,
            LabEndpoints(self.relay.endpoints.stations, self.relay.endpoints.viewers),
            station_curve,
        )
        self.link = ViewerLink(
            self.ctx,
            ViewerEndpoints(self.relay.endpoints.viewers, self.relay.endpoints.video, self.endpoint),
            CurveClient(wang_keys, self.server.public),
        )
        self.session = StationSession(
            store,
            CRANE,
            "L001",
            make_operator("autopilot", "crane"),
            demo_trainee,
            SessionSettings(station=STATION),
            self.publisher,
            inbox=self.station_link.comments,
        )
        self.applied: list[dict[str, Any]] = []  # control requests the station's runtime applied
        self.session.listeners.append(
            lambda kind, event: self.applied.append(event) if kind == "control" else None
        )
        self.silent: zmq.Socket | None = None

    def _request_server(self, endpoint: str) -> RequestServer:
        return RequestServer(
            self.ctx,
            self.relay.access,
            self.server,
            endpoint,
            self.relay.authenticator,
            self.relay.inject_endpoint,
            audit=self.audit,
        )

    @property
    def key(self) -> tuple[str, str]:
        assert self.session.prepared is not None
        return (STATION, self.session.prepared.session_id)

    def hang_requests(self) -> None:
        """The request endpoint stops answering: a CURVE socket on its port takes requests and never
        replies (a hung lab server, as the console sees it)."""
        self.requests.stop()
        self.silent = self.ctx.socket(zmq.ROUTER)
        self.silent.linger = 0
        CurveServer(self.server).apply(self.silent, self.relay.authenticator)
        _on_port_again(lambda: self.silent.bind(self.endpoint))

    def answer_again(self) -> None:
        """The real request endpoint is back on the same port."""
        assert self.silent is not None
        self.silent.close()
        self.silent = None

        def start() -> None:
            self.requests = self._request_server(self.endpoint)
            self.requests.start()

        _on_port_again(start)

    def close(self) -> None:
        if self.session.running:
            self.session.finish()
        if self.silent is not None:
            self.silent.close()
        self.link.close()
        self.station_link.close()
        self.publisher.close()
        self.requests.stop()
        self.relay.stop()
        self.audit.close()
        # destroy, not term: a test that failed with its window still open left that window's sockets
        # on this context, and term would wait for them for ever.
        self.ctx.destroy(linger=0)


def wang(store: sessionmaker[Session]) -> Actor:
    """The instructor whose link the lab holds."""
    with store() as db:
        return actor_of(find_user(db, "wang"))


def _on_port_again(bind) -> None:
    """Bind where a socket was just closed: libzmq releases the port on its I/O thread, a moment later."""
    for _ in range(100):
        try:
            return bind()
        except zmq.ZMQError as error:
            if error.errno != zmq.EADDRINUSE:
                raise
            time.sleep(0.05)
    bind()
