"""`shixun scenarios next/record/learner/override` over a real store (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from lab.store.engine import make_engine, make_session_factory
from lab.store.models import Attempt, Learner, SchoolClass
from station_app.cli.main import main

SCENARIO = "crane.bridge_lift"


def _cli(db_url: str, *args: str, capsys) -> tuple[int, dict | None, str]:
    code = main(["--db", db_url, "--json", "--lang", "en", "scenarios", *args])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else None, err


def _result_file(tmp_path, nxt: dict, scores: float, passed: bool, scenario: str = SCENARIO) -> str:
    result = {
        "scenario": scenario,
        "params": nxt["params"],
        "passed": passed,
        "score": 80.0 if passed else 40.0,
        "sub_scores": dict.fromkeys(nxt["predicted"], scores),
        "metrics": {"elapsed_s": 100.0},
        "seed": nxt["seed"],
    }
    path = tmp_path / f"result_{nxt['attempt']}.json"
    path.write_text(json.dumps(result), encoding="utf-8")
    return str(path)


def _attempts(db_url: str) -> list[Attempt]:
    engine = make_engine(db_url)
    try:
        with make_session_factory(engine)() as session:
            return list(session.scalars(select(Attempt).order_by(Attempt.id)))
    finally:
        engine.dispose()


@pytest.mark.slow  # many CLI calls, each opening the store
def test_next_record_learner_round_trip(db_url, tmp_path, capsys):
    code, nxt, err = _cli(db_url, "next", "--learner", "S001", "--scenario", SCENARIO, capsys=capsys)
    assert code == 0 and nxt["learner_created"] and "new learner" in err
    assert 0 < nxt["predicted_success"] < 1
    assert {p["name"] for p in nxt["explanation"]["parameters"]} >= {"wind_mps", "rope_length_m"}
    assert nxt["explanation"]["summary"]["zh"] and nxt["explanation"]["summary"]["en"]

    path = _result_file(tmp_path, nxt, 1.0, True)
    code, rec, _ = _cli(
        db_url, "record", "--learner", "S001", "--scenario", SCENARIO, "--result", path, capsys=capsys
    )
    assert (
        code == 0 and rec["attempt"] == nxt["attempt"]
    )  # the generated attempt is completed, not duplicated
    stored = _attempts(db_url)
    assert len(stored) == 1 and stored[0].passed is True
    assert stored[0].explanation["format"] == "shixun.explanation/1"
    assert stored[0].predicted_success == pytest.approx(nxt["predicted_success"], abs=1e-3)

    code, report, _ = _cli(db_url, "learner", "--learner", "S001", capsys=capsys)
    assert code == 0 and report["n_attempts"] == 1
    assert all(v["theta"] > 0 for v in report["skills"].values())

    code, again, _ = _cli(db_url, "next", "--learner", "S001", "--scenario", SCENARIO, capsys=capsys)
    assert code == 0 and not again["learner_created"] and again["seed"] != nxt["seed"]
    assert again["explanation"]["moved"]["skill"] in report["skills"]


def test_mismatched_result_is_one_line_exit_2_and_stores_nothing(db_url, tmp_path, capsys):
    _, nxt, _ = _cli(db_url, "next", "--learner", "S002", "--scenario", SCENARIO, capsys=capsys)
    before = len(_attempts(db_url))
    wrong = _result_file(tmp_path, nxt, 1.0, True, scenario="crane.other")
    code, out, err = _cli(
        db_url, "record", "--learner", "S002", "--scenario", SCENARIO, "--result", wrong, capsys=capsys
    )
    assert code == 2 and out is None and len(err.strip().splitlines()) == 1 and "crane.other" in err
    garbled = tmp_path / "garbled.json"
    garbled.write_text("{not json", encoding="utf-8")
    code, _, err = _cli(
        db_url, "record", "--learner", "S002", "--scenario", SCENARIO, "--result", str(garbled), capsys=capsys
    )
    assert code == 2 and len(err.strip().splitlines()) == 1
    bad_scores = json.loads(Path(_result_file(tmp_path, nxt, 1.0, True)).read_text()) | {
        "sub_scores": {"x": 2}
    }
    garbled.write_text(json.dumps(bad_scores), encoding="utf-8")
    code, _, err = _cli(
        db_url, "record", "--learner", "S002", "--scenario", SCENARIO, "--result", str(garbled), capsys=capsys
    )
    assert code == 2 and "sub_scores" in err
    assert len(_attempts(db_url)) == before and all(a.passed is None for a in _attempts(db_url))
    code, _, err = _cli(db_url, "learner", "--learner", "NOBODY", capsys=capsys)
    assert code == 2 and "unknown learner" in err


@pytest.mark.slow  # many CLI calls, each opening the store
def test_class_and_learner_overrides_apply_and_learner_wins(db_url, tmp_path, capsys):
    engine = make_engine(db_url)
    with make_session_factory(engine)() as session, session.begin():
        session.add(SchoolClass(code="C1", name="Crane 1", learners=[Learner(code="S003")]))
    engine.dispose()
    class_rules = {
        "pins": {"wind_mps": 3.0, "obstacle_count": 1},
        "faults_in": ["drive_lag"],
        "band": [0.6, 0.7],
    }
    code, _, _ = _cli(
        db_url,
        "override",
        "--class",
        "C1",
        "--scenario",
        SCENARIO,
        "--set",
        json.dumps(class_rules),
        capsys=capsys,
    )
    assert code == 0
    code, _, _ = _cli(
        db_url,
        "override",
        "--learner",
        "S003",
        "--scenario",
        SCENARIO,
        "--set",
        '{"pins": {"wind_mps": 6.5}}',
        capsys=capsys,
    )
    assert code == 0
    for _ in range(3):
        _, nxt, _ = _cli(db_url, "next", "--learner", "S003", "--scenario", SCENARIO, capsys=capsys)
        assert nxt["params"]["wind_mps"] == 6.5 and nxt["params"]["obstacle_count"] == 1
        assert nxt["params"]["faults"] == ["drive_lag"]
        assert nxt["explanation"]["band"] == {"low": 0.6, "high": 0.7, "source": "instructor"}
        wind = next(p for p in nxt["explanation"]["parameters"] if p["name"] == "wind_mps")
        assert "pinned" in wind["rules"]
        _cli(
            db_url,
            "record",
            "--learner",
            "S003",
            "--scenario",
            SCENARIO,
            "--result",
            _result_file(tmp_path, nxt, 0.9, True),
            capsys=capsys,
        )

    repeat = json.dumps({"repeat_attempt": nxt["attempt"]})
    _cli(db_url, "override", "--learner", "S003", "--scenario", SCENARIO, "--set", repeat, capsys=capsys)
    _, again, _ = _cli(db_url, "next", "--learner", "S003", "--scenario", SCENARIO, capsys=capsys)
    assert again["params"] == nxt["params"] and again["seed"] == nxt["seed"]
    assert again["explanation"]["repeat_of"] == nxt["attempt"]


@pytest.mark.parametrize(
    "rules",
    [
        '{"pins": {"wind_mps": 99}}',
        '{"pins": {"nope": 1}}',
        '{"faults_in": ["meteor"]}',
        '{"band": [0.9, 0.2]}',
        "{bad",
    ],
)
def test_invalid_overrides_are_refused(db_url, rules, capsys):
    _cli(db_url, "next", "--learner", "S004", "--scenario", SCENARIO, capsys=capsys)
    code, out, err = _cli(
        db_url, "override", "--learner", "S004", "--scenario", SCENARIO, "--set", rules, capsys=capsys
    )
    assert code == 2 and out is None and len(err.strip().splitlines()) == 1


@pytest.mark.slow  # many CLI calls, each opening the store
def test_fit_refits_from_stored_attempts_and_next_uses_it(db_url, tmp_path, capsys):
    for i in range(6):
        _, nxt, _ = _cli(db_url, "next", "--learner", f"F{i % 2}", "--scenario", SCENARIO, capsys=capsys)
        score = 0.9 if i % 2 else 0.3
        path = _result_file(tmp_path, nxt, score, bool(i % 2))
        _cli(
            db_url,
            "record",
            "--learner",
            f"F{i % 2}",
            "--scenario",
            SCENARIO,
            "--result",
            path,
            capsys=capsys,
        )
    code, fitted, _ = _cli(db_url, "fit", "--scenario", SCENARIO, capsys=capsys)
    assert code == 0 and fitted["attempts"] == 6 and fitted["model"]["version"].startswith("fit-")
    _, nxt, _ = _cli(db_url, "next", "--learner", "F0", "--scenario", SCENARIO, capsys=capsys)
    assert nxt["explanation"]["model_version"] == fitted["model"]["version"]
