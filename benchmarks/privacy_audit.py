"""What the privacy machinery costs: audit-log appends and verification, and password hashing.

- Append: one audited action = one transaction that appends a chained entry (head lookup, SHA-256,
  insert). Reference in the same run: the same transaction inserting an entry whose seq and hash are
  already known (no chaining).
- Verify: `lab.audit.chain.verify` over N entries. Reference: reading the same N rows (plain rows).
- Password hashing: argon2id with the shipped parameters (t=3, 64 MiB, p=4) per login. Reference:
  one SHA-256 of the same password, to show the work factor an offline guesser faces per guess.

SQLite (the embedded default) in a temporary directory; pass a PostgreSQL URL as the first argument
to measure that instead. Writes benchmarks/results/privacy_audit.{json,md}.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from lab.audit import chain
from lab.auth import passwords
from lab.store.engine import make_engine, make_session_factory
from lab.store.migrate import upgrade
from lab.store.models import AuditEntry

RESULTS = Path(__file__).with_name("results")
APPENDS, VERIFY_N, HASHES = 300, 5000, 5
T0 = datetime(2031, 1, 1, tzinfo=UTC)


def p50_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 3)


def measure(url: str) -> dict:
    upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    chained, plain = [], []
    for i in range(APPENDS):
        start = time.perf_counter()
        with sessions.begin() as db:
            chain.append(
                db, "instructor:t", "view:history", f"learner:L{i}", {"i": i}, T0 + timedelta(seconds=i)
            )
        chained.append(time.perf_counter() - start)
    for i in range(APPENDS):
        start = time.perf_counter()
        with sessions.begin() as db:  # same row shape, seq and hash given: no head lookup, no hashing
            db.add(AuditEntry(seq=10**9 + i, at=T0, actor="instructor:t", action="bench", resource="r",
                              detail={"i": i}, prev_hash="0" * 64, hash=f"{i:064x}"))  # fmt: skip
        plain.append(time.perf_counter() - start)
    with sessions.begin() as db:  # remove the reference rows, then grow the chain to VERIFY_N
        db.query(AuditEntry).filter(AuditEntry.action == "bench").delete()
        for i in range(APPENDS, VERIFY_N):
            chain.append(
                db, "instructor:t", "view:history", f"learner:L{i}", {"i": i}, T0 + timedelta(seconds=i)
            )
    with sessions() as db:
        start = time.perf_counter()
        result = chain.verify(db)
        verify_s = time.perf_counter() - start
        assert result.ok and result.checked == VERIFY_N
    with sessions() as db:
        start = time.perf_counter()
        rows = list(db.execute(select(AuditEntry.__table__).order_by(AuditEntry.seq)))
        read_s = time.perf_counter() - start
        assert len(rows) == VERIFY_N
    engine.dispose()
    argon, sha = [], []
    for _ in range(HASHES):
        start = time.perf_counter()
        passwords.hash_password("correct horse battery")
        argon.append(time.perf_counter() - start)
        start = time.perf_counter()
        hashlib.sha256(b"correct horse battery").hexdigest()
        sha.append(time.perf_counter() - start)
    return {
        "dialect": engine.dialect.name,
        "append": {"chained_p50_ms": p50_ms(chained), "plain_insert_p50_ms": p50_ms(plain),
                   "ratio": round(statistics.median(chained) / statistics.median(plain), 2), "n": APPENDS},
        "verify": {"entries": VERIFY_N, "verify_s": round(verify_s, 3), "read_s": round(read_s, 3),
                   "ratio": round(verify_s / read_s, 2), "entries_per_s": round(VERIFY_N / verify_s)},
        "argon2id": {"hash_p50_ms": p50_ms(argon), "sha256_p50_ms": p50_ms(sha),
                     "ratio": round(statistics.median(argon) / statistics.median(sha)), "n": HASHES},
    }  # fmt: skip


def write(report: dict) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "privacy_audit.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    a, v, h = report["append"], report["verify"], report["argon2id"]
    (RESULTS / "privacy_audit.md").write_text(
        f"""# Privacy benchmark ({report["dialect"]})

| what | measured | reference (same run) | ratio |
|---|---|---|---|
| one audited action: transaction appending a chained entry, p50 | {a["chained_p50_ms"]} ms | same insert without chaining {a["plain_insert_p50_ms"]} ms | {a["ratio"]}× |
| `audit verify` over {v["entries"]} entries | {v["verify_s"]} s ({v["entries_per_s"]} entries/s) | reading the rows {v["read_s"]} s | {v["ratio"]}× |
| argon2id password hash (t=3, 64 MiB, p=4), p50 | {h["hash_p50_ms"]} ms | SHA-256 {h["sha256_p50_ms"]} ms | {h["ratio"]}× |
""",
        encoding="utf-8",
    )


def main() -> None:
    if len(sys.argv) > 1:
        report = measure(sys.argv[1])
    else:
        with tempfile.TemporaryDirectory() as folder:
            report = measure(f"sqlite:///{folder}/bench.db")
    write(report)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
