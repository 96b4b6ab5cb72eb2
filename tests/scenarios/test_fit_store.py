"""`shixun scenarios fit` keeps the fitted model in the store (`difficulty_models`), with who ran it,
and `next` uses the newest one for the scenario (SQLite and PostgreSQL)."""

from __future__ import annotations

import json

from sqlalchemy import select

from lab.store import attempts as store
from lab.store.engine import make_engine, make_session_factory
from lab.store.models import DifficultyFit
from scenarios.paramspace import Space
from scenarios.spec import get_spec
from station_app.cli.main import main

SPACE = Space(get_spec("crane.bridge_lift"))


def _history(db_url: str) -> None:
    """Four finished attempts by two learners, stored the way `next` and `record` store them."""
    engine = make_engine(db_url)
    with make_session_factory(engine).begin() as db:
        for i in range(4):
            code, score = ("A", 0.3) if i % 2 else ("B", 0.9)
            nxt = store.next_attempt(db, SPACE, SPACE.prior_model(), code)
            result = {
                "scenario": SPACE.spec.id,
                "params": nxt.params,
                "passed": score > 0.5,
                "sub_scores": dict.fromkeys(SPACE.skills, score),
                "seed": nxt.plan.seed,
            }
            store.record_result(db, SPACE, code, store.parse_result(SPACE, result))
    engine.dispose()


def _cli(db_url: str, capsys, *args: str) -> dict:
    assert main(["--db", db_url, "--json", "scenarios", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_fit_is_stored_with_who_ran_it_and_next_uses_the_newest(db_url, capsys) -> None:
    _history(db_url)
    before = _cli(db_url, capsys, "next", "--learner", "A", "--scenario", SPACE.spec.id)
    assert before["explanation"]["model_version"] == "spec"
    first = _cli(db_url, capsys, "fit", "--scenario", SPACE.spec.id, "--by", "instructor:wang")
    second = _cli(db_url, capsys, "fit", "--scenario", SPACE.spec.id)
    assert second["model_id"] > first["model_id"] and first["attempts"] == 4
    engine = make_engine(db_url)
    with make_session_factory(engine)() as db:
        rows = list(db.scalars(select(DifficultyFit).order_by(DifficultyFit.id)))
    engine.dispose()
    assert [(r.id, r.fitted_by, r.n_attempts) for r in rows] == [
        (first["model_id"], "instructor:wang", 4),
        (second["model_id"], "instructor", 4),
    ]
    assert rows[1].model == second["model"] and rows[1].spec_version == SPACE.spec.version
    after = _cli(db_url, capsys, "next", "--learner", "A", "--scenario", SPACE.spec.id)
    assert after["explanation"]["model_version"] == second["model"]["version"]
