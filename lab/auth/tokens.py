"""Short-lived login tokens for the command line, so a person types their password once.

A token is `v1.<payload>.<mac>`: the payload (base64url JSON) names the user and the expiry; the
mac is HMAC-SHA256 keyed with the user's stored password hash. Forging one needs the store's
password hashes; changing the password or disabling the account invalidates every token at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from lab.bus.text import UserError
from lab.store.models import User

_VERSION = "v1"


class NotLoggedIn(UserError):
    def __init__(
        self,
        zh: str = "未登录或登录已过期：请运行 shixun login",
        en: str = "not logged in or the login expired: run `shixun login`",
    ) -> None:
        super().__init__(zh, en)


def issue(user: User, now: datetime, lifetime: timedelta) -> str:
    if user.password_hash is None:
        raise UserError(
            "此账户没有密码，不能在命令行登录",
            "this account has no password and cannot log in on the command line",
        )
    payload = _b64(json.dumps({"uid": user.id, "exp": int((now + lifetime).timestamp())}).encode())
    return f"{_VERSION}.{payload}.{_mac(user.password_hash, payload)}"


def verify(db: Session, token: str, now: datetime) -> User:
    """The active user the token names; NotLoggedIn if it is malformed, forged, expired or stale."""
    try:
        version, payload, mac = token.strip().split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        user_id, expires = int(claims["uid"]), int(claims["exp"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise NotLoggedIn() from None
    user = db.get(User, user_id) if version == _VERSION else None
    if user is None or user.password_hash is None or user.disabled_at is not None:
        raise NotLoggedIn()
    if not hmac.compare_digest(mac, _mac(user.password_hash, payload)):
        raise NotLoggedIn()
    if now.timestamp() >= expires:
        raise NotLoggedIn()
    return user


def _mac(key: str, payload: str) -> str:
    return _b64(hmac.new(key.encode(), payload.encode(), hashlib.sha256).digest())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")
