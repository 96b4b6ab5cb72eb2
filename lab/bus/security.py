"""CurveZMQ keys and socket set-up, and the ZAP authenticator that maps keys to users.

A CURVE server with no ZAP handler accepts ANY client key (shared/reference/bus_booking_privacy.md
§0.4, §1.8.4), so `CurveServer.apply` refuses a socket unless a `KeyAuthenticator` is running, and
servers call it before `bind()`. Key files use pyzmq's ZPL certificate format (`zmq.auth.certs`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import zmq
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator
from zmq.utils import z85

from lab.bus.text import UserError

ZAP_DOMAIN = "shixun"
log = logging.getLogger("lab.bus.security")


class KeyFileError(UserError):
    """A missing or unreadable key file."""


@dataclass(frozen=True, slots=True)
class CurveKeys:
    """A Z85 keypair; `secret` is None for someone else's public key."""

    public: bytes
    secret: bytes | None = None

    @classmethod
    def generate(cls) -> CurveKeys:
        public, secret = zmq.curve_keypair()
        return cls(public, secret)

    @classmethod
    def load(cls, path: str | Path) -> CurveKeys:
        """Read a `.key` or `.key_secret` certificate file written by `write`."""
        try:
            public, secret = zmq.auth.load_certificate(str(path))
        except (OSError, ValueError) as exc:
            raise KeyFileError(
                f"无法读取密钥文件 {path}：{exc}", f"cannot read key file {path}: {exc}"
            ) from None
        return cls(public, secret)

    def write(self, directory: str | Path, name: str) -> Path:
        """Write `<name>.key` (public) and, for a full keypair, `<name>.key_secret` (mode 0600)."""
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        public_file = folder / f"{name}.key"
        _write_certificate(public_file, self.public, None)
        if self.secret is not None:
            secret_file = folder / f"{name}.key_secret"
            secret_file.touch(mode=0o600)
            secret_file.chmod(0o600)
            _write_certificate(secret_file, self.public, self.secret)
        return public_file


def _write_certificate(path: Path, public: bytes, secret: bytes | None) -> None:
    lines = [
        "#   ZeroMQ CURVE certificate (shixun)",
        "metadata",
        "curve",
        f'    public-key = "{public.decode()}"',
    ]
    if secret is not None:
        lines.append(f'    secret-key = "{secret.decode()}"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@dataclass(frozen=True, slots=True)
class CurveClient:
    """A client's own keypair plus the server's public key (the server is authenticated too)."""

    keys: CurveKeys
    server_public: bytes

    def apply(self, sock: zmq.Socket) -> None:
        sock.curve_publickey = self.keys.public
        sock.curve_secretkey = self.keys.secret
        sock.curve_serverkey = self.server_public


class KeyAuthenticator(ThreadAuthenticator):
    """ZAP handler: a client key is accepted iff `user_for_key` maps it to a user id.

    The user id becomes the connection's ZAP `User-Id`, which the relay reads on every
    subscription (frame property "User-Id") to decide per user what they may see.
    """

    def __init__(self, context: zmq.Context, user_for_key: Callable[[bytes], str | None]) -> None:
        super().__init__(context, log=log)
        self._user_for_key = user_for_key
        outer = self

        class _Provider:
            def callback(self, domain: str, key: bytes) -> bool:
                return outer._user_for_key(key) is not None

        self.configure_curve_callback(ZAP_DOMAIN, _Provider())

    def curve_user_id(self, client_public_key: bytes) -> str:
        user = self._user_for_key(z85.encode(client_public_key))
        return user or ""

    @property
    def running(self) -> bool:
        return self.is_alive()


@dataclass(frozen=True, slots=True)
class CurveServer:
    keys: CurveKeys

    def apply(self, sock: zmq.Socket, authenticator: KeyAuthenticator | None) -> None:
        """Make `sock` a CURVE server; call before bind(). Refuses without a running authenticator."""
        if authenticator is None or not authenticator.running:
            raise RuntimeError("a CURVE server socket needs a running ZAP authenticator before bind()")
        sock.zap_domain = ZAP_DOMAIN.encode()
        sock.curve_secretkey = self.keys.secret
        sock.curve_publickey = self.keys.public
        sock.curve_server = True
