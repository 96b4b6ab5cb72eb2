"""Requests to the lab server off the GUI thread, for the mentor and instructor apps.

Why: a REQ call waits for its answer, and on the GUI thread a slow or absent lab server froze the
window for the whole timeout of every call. Here one worker thread owns its own ZeroMQ context and
REQ socket (sockets are never shared between threads, shared/reference/bus_booking_privacy.md §1.8.6),
runs the requests one after another, and hands each result back through a Qt signal, so callbacks
run on the GUI thread.

When the server does not answer, a request is not dropped: the REQ socket keeps it and ZeroMQ
reconnects by itself (LinkSettings: 0.1 s doubling to 5 s, §0.6), so a returning server answers it
within seconds. Only when an attempt window passes unanswered is it sent again on a fresh socket (the
zguide's "Lazy Pirate"); the window doubles from FIRST_ATTEMPT_MS to MAX_ATTEMPT_MS, so a slow server
gets at most one copy per window and an absent one is not hammered. The GUI says "not answering"
after SLOW_MS already, from its own watchdog. Requests that must not happen late (an instructor's
fault injection) are sent once (`retry=False`) and refused at once while the server is away.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import zmq
from PyQt6.QtCore import QObject, QThread, QTimer, pyqtSignal

from lab.bus.requests import RequestClient, RequestTimeout
from lab.bus.security import CurveClient
from lab.bus.text import Text, UserError
from lab.bus.viewer_link import ViewerLink

log = logging.getLogger(__name__)

SLOW_MS = 1500  # no answer for this long: the apps say the lab server is not answering
FIRST_ATTEMPT_MS = 4000  # a request is sent again only after this long unanswered...
MAX_ATTEMPT_MS = 30000  # ...doubling up to this
UNREACHABLE = Text("实验室服务器无响应，正在重试", "lab server not answering — retrying")
NOT_SENT = Text("实验室服务器无响应：请求未发送", "lab server not answering: the request was not sent")
NOT_CONFIRMED = Text(
    "实验室服务器无响应：请求未获确认（可能未送达）",
    "lab server not answering: the request was not confirmed (it may not have arrived)",
)


class RequestLink(ViewerLink):
    """The request half of a ViewerLink on the worker's own socket (`sessions`, `recordings`,
    `replay`, `comment`, `requests.call`); it does not ask `whoami` again and cannot `watch`."""

    def __init__(self, requests: RequestClient) -> None:  # no super().__init__: no whoami, no SUB
        self.requests = requests


Job = Callable[[RequestLink], Any]  # runs on the worker thread: requests and pure work only, no Qt


@dataclass(frozen=True)
class _Job:
    id: int
    run: Job
    key: str | None  # a newer job with the same key replaces this one while it waits
    retry: bool


class _AnsweringClient(RequestClient):
    """Reports every answer (a refusal too: the server is there), so a long job such as a paged replay
    keeps the GUI's watchdog quiet while its pages arrive."""

    def __init__(self, ctx: zmq.Context, endpoint: str, curve: CurveClient | None, answered: Any) -> None:
        super().__init__(ctx, endpoint, curve, timeout_ms=FIRST_ATTEMPT_MS)
        self.answered = answered  # a bound signal of the worker

    def call(self, op: str, **fields: Any) -> dict[str, Any]:
        try:
            reply = super().call(op, **fields)
        except RequestTimeout:
            raise
        except UserError:
            self.answered.emit()
            raise
        self.answered.emit()
        return reply


class _Worker(QThread):
    began = pyqtSignal(int)
    answered = pyqtSignal()
    unreachable = pyqtSignal()
    done = pyqtSignal(int, object)
    failed = pyqtSignal(int, object)

    def __init__(self, endpoint: str, curve: CurveClient | None) -> None:
        super().__init__()
        self.endpoint, self.curve = endpoint, curve
        self.ctx = zmq.Context()  # its own, so closing can interrupt a wait (ctx.term → ETERM)
        self._jobs: deque[_Job] = deque()
        self._wake = threading.Condition()
        self._stopping = False

    def put(self, job: _Job) -> list[int]:
        """Queue a job; the ids of waiting jobs it replaces (same key)."""
        with self._wake:
            replaced = [j.id for j in self._jobs if job.key is not None and j.key == job.key]
            if replaced:
                self._jobs = deque(j for j in self._jobs if j.id not in replaced)
            self._jobs.append(job)
            self._wake.notify()
        return replaced

    def stop(self) -> None:
        """Interrupt whatever the worker waits for; it closes its socket and ends."""
        with self._wake:
            self._stopping = True
            self._wake.notify()
        self.ctx.term()  # returns once the worker closed its socket

    def _next(self) -> _Job | None:
        with self._wake:
            while not self._jobs and not self._stopping:
                self._wake.wait()
            return None if self._stopping else self._jobs.popleft()

    def refuse_once_only(self) -> None:
        """While the server is away, waiting jobs that must not be late are refused rather than held."""
        with self._wake:
            refused = [j for j in self._jobs if not j.retry]
            self._jobs = deque(j for j in self._jobs if j.retry)
        for job in refused:
            self.failed.emit(job.id, UserError(NOT_SENT.zh, NOT_SENT.en))

    def run(self) -> None:
        try:
            client = _AnsweringClient(self.ctx, self.endpoint, self.curve, self.answered)
        except zmq.ZMQError:  # closed before it started
            return
        link = RequestLink(client)
        try:
            while (job := self._next()) is not None:
                self._run(job, client, link)
        except zmq.ZMQError:  # the context was terminated: the app is closing
            pass
        finally:
            client.close()

    def _run(self, job: _Job, client: _AnsweringClient, link: RequestLink) -> None:
        self.began.emit(job.id)
        client.timeout_ms = FIRST_ATTEMPT_MS
        while True:
            try:
                result = job.run(link)
            except RequestTimeout:
                self.unreachable.emit()
                if not job.retry:
                    self.failed.emit(job.id, UserError(NOT_CONFIRMED.zh, NOT_CONFIRMED.en))
                    return
                self.refuse_once_only()
                client.timeout_ms = min(2 * client.timeout_ms, MAX_ATTEMPT_MS)
                continue
            except UserError as error:
                self.failed.emit(job.id, error)
                return
            except zmq.ZMQError:
                raise
            except Exception:  # a bug in a job must not end the worker (later requests would hang)
                log.exception("lab request job failed")
                self.failed.emit(job.id, UserError("内部错误（详见日志）", "internal error (see the log)"))
                return
            self.done.emit(job.id, result)
            return


class LabClient(QObject):
    """The GUI's side: `submit` a job with callbacks; `reachable` and `changed` for the status line."""

    changed = pyqtSignal()  # reachable changed

    def __init__(self, endpoint: str, curve: CurveClient | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.reachable = True
        self._ids = itertools.count(1)
        self._callbacks: dict[int, tuple[Callable[[Any], None], Callable[[UserError], None]]] = {}
        self._watchdog = QTimer(self)
        self._watchdog.setSingleShot(True)
        self._watchdog.setInterval(SLOW_MS)
        self._watchdog.timeout.connect(self._slow)
        self._worker = _Worker(endpoint, curve)
        self._worker.began.connect(self._began)
        self._worker.answered.connect(self._answered)
        self._worker.unreachable.connect(self._unreachable)
        self._worker.done.connect(self._done)
        self._worker.failed.connect(self._failed)
        self._worker.start()

    @classmethod
    def of(cls, link: ViewerLink, parent: QObject | None = None) -> LabClient:
        """A client for the same server and key as a connected link (its own socket and thread)."""
        return cls(link.lab.requests, link.curve, parent)

    @property
    def busy(self) -> bool:
        """A request is queued or in flight."""
        return bool(self._callbacks)

    @property
    def running(self) -> bool:
        return self._worker.isRunning()

    def submit(
        self,
        job: Job,
        done: Callable[[Any], None],
        failed: Callable[[UserError], None],
        *,
        key: str | None = None,
        retry: bool = True,
    ) -> None:
        """Run `job` on the worker; `done(result)` or `failed(error)` later on the GUI thread. With
        `retry=False` it is sent once, and refused at once while the server is not answering."""
        job_id = next(self._ids)
        if not retry and not self.reachable:
            QTimer.singleShot(0, lambda: failed(UserError(NOT_SENT.zh, NOT_SENT.en)))
            return
        self._callbacks[job_id] = (done, failed)
        for replaced in self._worker.put(_Job(job_id, job, key, retry)):
            self._callbacks.pop(replaced, None)

    def close(self) -> None:
        """Stop the worker (a request in flight is abandoned) and wait for it; safe to call twice."""
        self._watchdog.stop()
        self._callbacks.clear()
        if not self._worker.isFinished():
            self._worker.stop()
        self._worker.wait()

    def _began(self, _job_id: int) -> None:
        self._watchdog.start()

    def _unreachable(self) -> None:
        self._set_reachable(False)

    def _slow(self) -> None:
        self._set_reachable(False)
        self._worker.refuse_once_only()

    def _answered(self) -> None:
        if self._callbacks:
            self._watchdog.start()  # more of the job (replay pages) or the next job: time it afresh
        self._set_reachable(True)

    def _done(self, job_id: int, result: object) -> None:
        callbacks = self._callbacks.pop(job_id, None)
        self._settle()
        if callbacks is not None:
            callbacks[0](result)

    def _failed(self, job_id: int, error: object) -> None:
        callbacks = self._callbacks.pop(job_id, None)
        self._settle()
        if callbacks is not None and isinstance(error, UserError):
            callbacks[1](error)

    def _settle(self) -> None:
        if not self._callbacks:
            self._watchdog.stop()

    def _set_reachable(self, reachable: bool) -> None:
        if reachable != self.reachable:
            self.reachable = reachable
            self.changed.emit()
