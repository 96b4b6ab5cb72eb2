"""Practice profiles through the store and the CLI: `scenarios fit` weighs the pooled progress per
profile and `next` follows it (SQLite and PostgreSQL)."""

from __future__ import annotations

import json

from lab.store import attempts as store
from lab.store.engine import make_engine, make_session_factory
from scenarios.paramspace import Space
from scenarios.spec import get_spec
from station_app.cli.main import main

SPACE = Space(get_spec("crane.bridge_lift"))
LEARNERS, ATTEMPTS = 16, 7  # 7 = burn-in + the minimum measured run + 1


def _practise(db_url: str) -> dict[str, str]:
    """Learners under `stretch` pass every skill every time; under `consolidate` only every other time,
    so the stretch learners' ability estimates rise faster. Returns each learner's profile."""
    engine = make_engine(db_url)
    profile_of = {}
    with make_session_factory(engine).begin() as db:
        for n in range(LEARNERS):
            code = f"L{n:02d}"
            for t in range(ATTEMPTS):
                nxt = store.next_attempt(db, SPACE, SPACE.prior_model(), code)
                profile_of[code] = nxt.explanation["profile"]["id"]
                score = 1.0 if profile_of[code] == "stretch" or t % 2 else 0.0
                result = {
                    "scenario": SPACE.spec.id,
                    "params": nxt.params,
                    "passed": score == 1.0,
                    "sub_scores": dict.fromkeys(SPACE.skills, score),
                    "seed": nxt.plan.seed,
                }
                store.record_result(db, SPACE, code, store.parse_result(SPACE, result))
    engine.dispose()
    return profile_of


def _cli(db_url: str, capsys, *args: str) -> dict:
    assert main(["--db", db_url, "--json", "scenarios", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_fit_weighs_pooled_progress_per_profile_and_next_follows_it(db_url, capsys) -> None:
    profile_of = _practise(db_url)
    assert set(profile_of.values()) == {"stretch", "consolidate"}  # no evidence yet: both explored
    fresh = _cli(db_url, capsys, "next", "--learner", "new1", "--scenario", SPACE.spec.id)
    assert fresh["explanation"]["profile"]["source"] == "exploring"

    fitted = _cli(db_url, capsys, "fit", "--scenario", SPACE.spec.id)
    evidence = fitted["model"]["profile_evidence"]
    assert evidence["progress"]["stretch"] > evidence["progress"]["consolidate"]
    assert evidence["shares"]["stretch"] > 0.9
    assert sum(evidence["learners"].values()) == LEARNERS

    later = [
        _cli(db_url, capsys, "next", "--learner", f"new{n}", "--scenario", SPACE.spec.id)["explanation"]
        for n in range(2, 8)
    ]
    assert all(e["profile"]["source"] == "evidence" for e in later)
    assert sum(e["profile"]["id"] == "stretch" for e in later) >= 5
