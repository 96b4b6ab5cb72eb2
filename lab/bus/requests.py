"""Request/reply to the lab server: msgpack maps over REQ, with a timeout and a fresh socket on loss.

A reply is `{"ok": true, ...}` or `{"ok": false, "error": {"zh": ..., "en": ...}}`; the client turns
the latter into a UserError so front ends show it as one line. REQ sockets get stuck after a lost
reply, so a timed-out client closes its socket and opens a new one (zguide "Lazy Pirate").
"""

from __future__ import annotations

from typing import Any

import msgpack
import zmq

from lab.bus.security import CurveClient
from lab.bus.sockets import DEFAULT_LINK, LinkSettings
from lab.bus.text import UserError


class RequestFailed(UserError):
    """The lab server refused the request or did not answer in time."""


class RequestTimeout(RequestFailed):
    """No answer in time: the server may be away, so the request may be tried again (a refusal not)."""


class RequestClient:
    def __init__(
        self,
        ctx: zmq.Context,
        endpoint: str,
        curve: CurveClient | None = None,
        timeout_ms: int = 3000,
        link: LinkSettings = DEFAULT_LINK,
    ) -> None:
        self.ctx, self.endpoint, self.curve, self.timeout_ms, self.link = (
            ctx,
            endpoint,
            curve,
            timeout_ms,
            link,
        )
        self._socket = self._open()

    def _open(self) -> zmq.Socket:
        sock = self.ctx.socket(zmq.REQ)
        self.link.apply(sock)
        sock.linger = 0
        if self.curve is not None:
            self.curve.apply(sock)
        sock.connect(self.endpoint)
        return sock

    def call(self, op: str, **fields: Any) -> dict[str, Any]:
        """Send one request and return the reply's fields; RequestFailed on refusal or timeout."""
        self._socket.send(msgpack.packb({"op": op, **fields}, use_bin_type=True))
        if not self._socket.poll(self.timeout_ms, zmq.POLLIN):
            self._socket.close()
            self._socket = self._open()
            raise RequestTimeout(
                f"实验室服务器 {self.endpoint} 未响应", f"the lab server at {self.endpoint} did not answer"
            )
        try:
            reply = msgpack.unpackb(self._socket.recv(), raw=False)
        except Exception:  # any undecodable reply is the same failure
            reply = None
        if not isinstance(reply, dict):
            raise RequestFailed("实验室服务器的回复无法解析", "the lab server's reply is garbled")
        if not reply.get("ok"):
            error = reply.get("error") or {}
            raise RequestFailed(str(error.get("zh", "请求被拒绝")), str(error.get("en", "request refused")))
        return reply

    def close(self) -> None:
        self._socket.close()
