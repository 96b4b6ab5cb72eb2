"""Audit records for live viewing and comments, written off the forwarding thread.

Every read of personal data by a person is audited (DESIGN.md "Security and privacy"): for live
streams that is the start and the end of each granted subscription to a session's topics, and each
comment written. Entries go to the hash-chained audit log (`lab.audit.chain`) under the same names
the apps use (`role:login`, `view:live_pose`, `session:<id>`), from a writer thread so a database
round-trip never delays a live message.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any, Protocol

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from lab.audit import chain
from lab.auth.permissions import TOPIC_RESOURCES, Action, Resource
from lab.bus.topics import Kind
from lab.server.policy import Principal

log = logging.getLogger("lab.server.audit")
_STOP = object()


class LiveAudit(Protocol):
    def record(self, principal: Principal, action: str, session: str, detail: dict[str, Any]) -> None:
        """Queue one audit entry (never blocks the caller)."""


def view_action(kind: Kind) -> str:
    return f"{Action.VIEW.value}:{TOPIC_RESOURCES[kind].value}"


COMMENT_ACTION = f"{Action.EDIT.value}:{Resource.COMMENTS.value}"


class StoreLiveAudit:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="live-audit", daemon=True)
        self._thread.start()

    def record(self, principal: Principal, action: str, session: str, detail: dict[str, Any]) -> None:
        actor = principal.actor
        if actor is not None:  # stations are equipment, not people reading personal data
            self._queue.put((actor.audit_name, action, f"session:{session}", detail))

    def close(self) -> None:
        """Write everything queued, then stop."""
        self._queue.put(_STOP)
        self._thread.join()

    def _run(self) -> None:
        while (item := self._queue.get()) is not _STOP:
            actor, action, resource, detail = item  # type: ignore[misc]
            try:
                with Session(self._engine) as db:
                    chain.append(db, actor, action, resource, detail)
                    db.commit()
            except Exception:  # a store outage must not stop live streaming; it is logged loudly
                log.exception("audit: could not write a live-viewing record")
