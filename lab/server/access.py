"""Where the relay learns who a key belongs to and what each user may see.

`AccessSource` is the small interface the relay depends on; `StoreAccess` (lab.server.store_access)
reads it from the store, `StaticAccess` holds it in memory (tests, benchmarks, a lab without a store).
ZAP User-Ids are `user:<users.id>` for people and `station:<equipment.name>` for stations
(`lab.bus.topics.user_zap_id`, `station_zap_id`).
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Protocol

from lab.server.policy import AccessFacts, Principal


class AccessSource(Protocol):
    def principal_for_key(self, public_key: bytes) -> Principal | None:
        """The principal whose CURVE public key (Z85) this is; None refuses the connection."""

    def principal(self, zap_id: str) -> Principal | None:
        """The principal behind a ZAP User-Id (None if it no longer exists or is disabled)."""

    def facts(self, now: datetime) -> AccessFacts:
        """Sessions, consents and invitations as they stand at `now`."""


class StaticAccess:
    """An in-memory AccessSource; `set_facts`/`remove_key` take effect at the relay's next refresh."""

    def __init__(self, keys: dict[bytes, Principal] | None = None, facts: AccessFacts | None = None) -> None:
        self._lock = threading.Lock()
        self._keys = dict(keys or {})
        self._facts = facts or AccessFacts()

    def add_key(self, public_key: bytes, principal: Principal) -> None:
        with self._lock:
            self._keys[public_key] = principal

    def remove_key(self, public_key: bytes) -> None:
        with self._lock:
            self._keys.pop(public_key, None)

    def set_facts(self, facts: AccessFacts) -> None:
        with self._lock:
            self._facts = facts

    def principal_for_key(self, public_key: bytes) -> Principal | None:
        with self._lock:
            return self._keys.get(public_key)

    def principal(self, zap_id: str) -> Principal | None:
        with self._lock:
            return next((p for p in self._keys.values() if p.zap_id == zap_id), None)

    def facts(self, now: datetime) -> AccessFacts:
        with self._lock:
            return self._facts
