"""The hash-chained audit log: append, verify, head, and retention purge with an anchor.

Each entry's hash covers its own fields and the previous entry's hash, so changing, deleting or
reordering an entry breaks the chain at that entry (shared/reference/bus_booking_privacy.md §3.2,
§3.4 item 6). A bare chain cannot see its newest entries being cut off, so `head()` gives the
(seq, hash) to anchor outside the database (print it, export it) and `verify(expect_head=...)`
checks it. Purging entries older than the retention period (≥ 6 months, Cybersecurity Law
Art. 21) deletes a prefix of the chain and appends an `audit.purge` entry naming the last deleted
(seq, hash), which is where verification then starts.

Appends happen inside the caller's transaction, so an action and its audit record commit together.
Writers are serialised: SQLite by BEGIN IMMEDIATE (lab.store.engine), PostgreSQL by an advisory
transaction lock taken here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, delete, func, select
from sqlalchemy.orm import Session

from lab.bus.text import Text
from lab.store.models import AuditEntry
from lab.store.types import utc_now

GENESIS_HASH = "0" * 64
PURGE_ACTION = "audit.purge"
_PG_LOCK_KEY = 0x5348_4958_554E  # "SHIXUN": one advisory lock for the audit chain


def entry_hash(
    seq: int, at: datetime, actor: str, action: str, resource: str, detail: dict[str, Any], prev_hash: str
) -> str:
    """SHA-256 over a canonical JSON form of the entry (sorted keys, UTC time in microseconds)."""
    canonical = json.dumps(
        {
            "seq": seq,
            "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": actor,
            "action": action,
            "resource": resource,
            "detail": detail,
            "prev_hash": prev_hash,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def head(db: Session) -> AuditEntry | None:
    """The newest entry (None for an empty log)."""
    return db.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).first()


def append(
    db: Session,
    actor: str,
    action: str,
    resource: str,
    detail: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    """Add one entry at the end of the chain, in the caller's transaction (flushed, not committed).

    `actor` and `resource` are pseudonymous handles (`role:login`, `learner:<code>`), never names.
    """
    _lock(db)
    last = head(db)
    seq, prev = (last.seq + 1, last.hash) if last else (1, GENESIS_HASH)
    return _insert(db, seq, prev, actor, action, resource, detail or {}, now or utc_now())


def _insert(
    db: Session,
    seq: int,
    prev_hash: str,
    actor: str,
    action: str,
    resource: str,
    detail: dict[str, Any],
    at: datetime,
) -> AuditEntry:
    detail = json.loads(json.dumps(detail))  # exactly what the JSON column will give back
    entry = AuditEntry(
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        resource=resource,
        detail=detail,
        prev_hash=prev_hash,
        hash=entry_hash(seq, at, actor, action, resource, detail, prev_hash),
    )
    db.add(entry)
    db.flush()
    return entry


def _lock(db: Session) -> None:
    if db.get_bind().dialect.name == "postgresql":
        db.execute(select(func.pg_advisory_xact_lock(_PG_LOCK_KEY)))


@dataclass(frozen=True)
class Verification:
    """The outcome of `verify`: `first_bad_seq` is the index of the first broken or missing entry."""

    ok: bool
    checked: int
    head_seq: int | None
    head_hash: str | None
    first_bad_seq: int | None = None
    reason: Text | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "first_bad_seq": self.first_bad_seq,
            "reason": self.reason.to_dict() if self.reason else None,
        }


def verify(db: Session, expect_head: tuple[int, str] | None = None) -> Verification:
    """Walk the chain in seq order and report the first entry that is changed, missing or misplaced.

    A link mismatch between entries k and k+1 where k+1 is self-consistent means k was rewritten
    (its hash recomputed), so k is reported; otherwise k+1 is.
    """
    anchors = _purge_anchors(db)
    expected_seq: int | None = None
    prev_hash = GENESIS_HASH
    checked = 0
    last: Row[Any] | None = None
    for entry in _entries(db):
        if expected_seq is None:  # the first remaining entry: genesis, or just after a purge
            expected_seq = 1
            if entry.seq != 1:
                anchor = anchors.get(entry.seq - 1)
                if anchor != entry.prev_hash:
                    return _broken(
                        checked,
                        last,
                        1,
                        "审计记录缺失（日志开头被删除）",
                        "entries missing (start of the log deleted)",
                    )
                expected_seq, prev_hash = entry.seq, anchor
        if entry.seq != expected_seq:
            return _broken(checked, last, expected_seq, "审计记录缺失（已被删除）", "entry missing (deleted)")
        self_consistent = entry.hash == _recompute(entry)
        if entry.prev_hash != prev_hash:
            if self_consistent and last is not None:
                return _broken(
                    checked,
                    last,
                    last.seq,
                    "审计记录被改写（哈希已重算）",
                    "entry rewritten (its hash was recomputed)",
                )
            return _broken(checked, last, entry.seq, "前一哈希不匹配", "previous-hash link does not match")
        if not self_consistent:
            return _broken(checked, last, entry.seq, "审计记录内容被篡改", "entry content was altered")
        checked += 1
        prev_hash, expected_seq, last = entry.hash, entry.seq + 1, entry
    head_seq, head_hash = (last.seq, last.hash) if last else (None, None)
    if expect_head is not None and (head_seq is None or head_seq < expect_head[0]):
        return _broken(
            checked,
            last,
            expect_head[0],
            "日志末尾的记录缺失（已被截断）",
            "entries missing at the end (log truncated)",
        )
    if expect_head is not None and not _head_matches(db, expect_head, anchors):
        return _broken(
            checked, last, expect_head[0], "与外部保存的链头不一致", "does not match the externally kept head"
        )
    return Verification(True, checked, head_seq, head_hash)


_COLUMNS = (
    AuditEntry.seq,
    AuditEntry.at,
    AuditEntry.actor,
    AuditEntry.action,
    AuditEntry.resource,
    AuditEntry.detail,
    AuditEntry.prev_hash,
    AuditEntry.hash,
)


def _entries(db: Session) -> Iterator[Row[Any]]:
    """Plain rows (not ORM objects) in seq order, streamed: verification reads the whole log."""
    yield from db.execute(select(*_COLUMNS).order_by(AuditEntry.seq).execution_options(yield_per=1000))


def _recompute(entry: AuditEntry | Row[Any]) -> str:
    return entry_hash(
        entry.seq, entry.at, entry.actor, entry.action, entry.resource, entry.detail, entry.prev_hash
    )


def _hash_at(db: Session, seq: int) -> str | None:
    return db.scalar(select(AuditEntry.hash).where(AuditEntry.seq == seq))


def _head_matches(db: Session, expect_head: tuple[int, str], anchors: dict[int, str]) -> bool:
    """The externally kept head is still in the chain, or lies in a prefix that was purged since."""
    kept = _hash_at(db, expect_head[0])
    if kept is None:
        return any(through >= expect_head[0] for through in anchors)
    return kept == expect_head[1]


def _purge_anchors(db: Session) -> dict[int, str]:
    """through_seq -> through_hash of every purge entry (the anchors a purged log starts from)."""
    anchors: dict[int, str] = {}
    for detail in db.scalars(select(AuditEntry.detail).where(AuditEntry.action == PURGE_ACTION)):
        if isinstance(detail, dict) and isinstance(detail.get("through_seq"), int):
            anchors[detail["through_seq"]] = str(detail.get("through_hash"))
    return anchors


def _broken(checked: int, last: Row[Any] | None, seq: int, zh: str, en: str) -> Verification:
    return Verification(
        False,
        checked,
        last.seq if last else None,
        last.hash if last else None,
        first_bad_seq=seq,
        reason=Text(zh=f"第 {seq} 条：{zh}", en=f"entry {seq}: {en}"),
    )


def purge_before(db: Session, cutoff: datetime, actor: str, now: datetime) -> int:
    """Delete the prefix of entries older than `cutoff` and record an anchor; returns how many.

    The caller enforces the retention floor (lab.privacy.retention); this keeps the chain verifiable.
    """
    _lock(db)
    through = db.scalar(select(func.max(AuditEntry.seq)).where(AuditEntry.at < cutoff))
    if through is None:
        return 0
    last = head(db)
    assert last is not None
    through_hash = _hash_at(db, through)
    count = db.execute(delete(AuditEntry).where(AuditEntry.seq <= through)).rowcount
    detail = {
        "through_seq": through,
        "through_hash": through_hash,
        "deleted": count,
        "cutoff": cutoff.isoformat(),
    }
    _insert(db, last.seq + 1, last.hash, actor, PURGE_ACTION, "audit_log", detail, now)
    return count
