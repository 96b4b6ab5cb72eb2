"""Per-receiver counters: what arrived per topic, and what was dropped and why.

A bad message is counted and dropped, never raised into a receiver's loop. The first drop of each
reason is logged once (the reason only: no payload, no ids, so no personal data reaches the log).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("lab.bus")

DROP_REASONS = ("garbled", "version", "topic", "duplicate")


@dataclass
class ReceiverStats:
    received: Counter[str] = field(default_factory=Counter)  # per topic
    dropped: Counter[str] = field(default_factory=Counter)  # per reason
    _logged: set[str] = field(default_factory=set)

    def count(self, topic: str) -> None:
        self.received[topic] += 1

    def drop(self, reason: str) -> None:
        self.dropped[reason] += 1
        if reason not in self._logged:
            self._logged.add(reason)
            log.warning("bus: dropped a %s message (further ones are only counted)", reason)

    @property
    def dropped_garbled(self) -> int:
        return self.dropped["garbled"]

    @property
    def dropped_version(self) -> int:
        return self.dropped["version"]

    def as_dict(self) -> dict[str, Any]:
        return {"received": dict(self.received), "dropped": {r: self.dropped[r] for r in DROP_REASONS}}
