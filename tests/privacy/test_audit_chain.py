"""The hash-chained audit log: tampering or deleting one entry is found at its exact index."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.orm import Session, sessionmaker

from lab.audit import chain
from lab.store.models import AuditEntry

T0 = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
N = 10


def _fill(sessions: sessionmaker[Session], n: int = N) -> None:
    with sessions.begin() as db:
        for i in range(n):
            chain.append(
                db,
                f"instructor:t{i % 3}",
                "view:history",
                f"learner:L{i}",
                {"n": i, "why": "报告"},
                T0 + timedelta(minutes=i),
            )


def _verify(sessions: sessionmaker[Session], **kwargs: object) -> chain.Verification:
    with sessions() as db:
        return chain.verify(db, **kwargs)


def test_intact_chain_verifies(sessions: sessionmaker[Session]) -> None:
    _fill(sessions)
    result = _verify(sessions)
    assert result.ok and result.checked == N and result.head_seq == N
    with sessions() as db:
        assert chain.head(db).hash == result.head_hash


def test_empty_log_verifies(sessions: sessionmaker[Session]) -> None:
    result = _verify(sessions)
    assert result.ok and result.checked == 0 and result.head_seq is None


@pytest.mark.parametrize("index", [1, 5, N])
@pytest.mark.parametrize(
    "change",
    [
        {"actor": "admin:mallory"},
        {"detail": {"n": -1}},
        {"resource": "learner:X"},
        {"at": T0 - timedelta(days=1)},
    ],
)
def test_tampering_with_one_entry_is_found_at_its_index(
    sessions: sessionmaker[Session], index: int, change: dict
) -> None:
    _fill(sessions)
    with sessions.begin() as db:
        db.execute(update(AuditEntry).where(AuditEntry.seq == index).values(**change))
    result = _verify(sessions)
    assert not result.ok and result.first_bad_seq == index
    assert str(index) in result.reason.en and str(index) in result.reason.zh


@pytest.mark.parametrize("index", [2, 5, N - 1])
def test_rewriting_an_entry_and_its_hash_is_found_at_its_index(
    sessions: sessionmaker[Session], index: int
) -> None:
    _fill(sessions)
    with sessions.begin() as db:
        entry = db.get(AuditEntry, index)
        entry.actor = "admin:mallory"
        entry.hash = chain.entry_hash(
            entry.seq, entry.at, entry.actor, entry.action, entry.resource, entry.detail, entry.prev_hash
        )
    result = _verify(sessions)
    assert not result.ok and result.first_bad_seq == index and "rewritten" in result.reason.en


@pytest.mark.parametrize("index", [1, 4, N - 1])
def test_deleting_one_entry_is_found_at_its_index(sessions: sessionmaker[Session], index: int) -> None:
    _fill(sessions)
    with sessions.begin() as db:
        db.execute(delete(AuditEntry).where(AuditEntry.seq == index))
    result = _verify(sessions)
    assert not result.ok and result.first_bad_seq == index and "missing" in result.reason.en


def test_swapping_two_entries_is_detected(sessions: sessionmaker[Session]) -> None:
    _fill(sessions)
    with sessions.begin() as db:
        db.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(seq=1000))
        db.execute(update(AuditEntry).where(AuditEntry.seq == 4).values(seq=3))
        db.execute(update(AuditEntry).where(AuditEntry.seq == 1000).values(seq=4))
    result = _verify(sessions)
    assert not result.ok and result.first_bad_seq == 3


def test_cutting_off_the_newest_entries_needs_the_anchored_head(sessions: sessionmaker[Session]) -> None:
    _fill(sessions)
    with sessions() as db:
        anchored = (chain.head(db).seq, chain.head(db).hash)
    assert _verify(sessions, expect_head=anchored).ok
    with sessions.begin() as db:
        db.execute(delete(AuditEntry).where(AuditEntry.seq >= N - 1))
    assert _verify(sessions).ok  # a bare chain cannot tell
    result = _verify(sessions, expect_head=anchored)
    assert not result.ok and result.first_bad_seq == N


def test_wrong_anchored_head_is_reported(sessions: sessionmaker[Session]) -> None:
    _fill(sessions)
    result = _verify(sessions, expect_head=(3, "f" * 64))
    assert not result.ok and result.first_bad_seq == 3


def test_purge_keeps_the_chain_verifiable_and_is_itself_recorded(sessions: sessionmaker[Session]) -> None:
    _fill(sessions)
    with sessions() as db:
        anchored = (chain.head(db).seq, chain.head(db).hash)
    with sessions.begin() as db:
        deleted = chain.purge_before(db, T0 + timedelta(minutes=4), "admin:root", T0 + timedelta(days=400))
    assert deleted == 4
    result = _verify(sessions, expect_head=anchored)
    assert result.ok and result.checked == N - 4 + 1 and result.head_seq == N + 1
    with sessions() as db:
        last = chain.head(db)
        assert last.action == chain.PURGE_ACTION and last.detail["through_seq"] == 4
    with sessions.begin() as db:  # deleting the first remaining entry is still found
        db.execute(delete(AuditEntry).where(AuditEntry.seq == 5))
    assert _verify(sessions).first_bad_seq == 1


def test_purging_every_old_entry_then_appending_still_verifies(sessions: sessionmaker[Session]) -> None:
    _fill(sessions)
    with sessions.begin() as db:
        assert chain.purge_before(db, T0 + timedelta(days=1), "admin:root", T0 + timedelta(days=400)) == N
        chain.append(db, "auditor:a", "view:audit_log", "audit_log", now=T0 + timedelta(days=401))
    result = _verify(sessions)
    assert result.ok and result.checked == 2 and result.head_seq == N + 2


def test_concurrent_appenders_build_one_chain(sessions: sessionmaker[Session]) -> None:
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            for i in range(5):
                with sessions.begin() as db:
                    chain.append(db, f"instructor:w{k}", "view:history", f"learner:{k}-{i}")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    result = _verify(sessions)
    assert result.ok and result.checked == 20
    with sessions() as db:
        assert db.execute(text("SELECT count(DISTINCT prev_hash) FROM audit_log")).scalar() == 20
