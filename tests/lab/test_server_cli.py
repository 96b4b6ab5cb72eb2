"""`shixun keys` and `shixun lab`: key bundles in the store, serving, reading recordings; one-line errors."""

from __future__ import annotations

import json
import stat

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lab.bus.envelope import Envelope
from lab.bus.security import CurveKeys
from lab.bus.topics import Kind
from lab.recording.mcap_io import SessionWriter
from lab.store.engine import make_engine
from lab.store.migrate import upgrade
from lab.store.models import Role, User
from station_app.cli.main import main


@pytest.fixture
def shixun(tmp_path, monkeypatch, capsys):
    """Run the CLI in-process on a migrated SQLite store in tmp_path; returns (code, stdout, stderr)."""
    url = f"sqlite:///{tmp_path / 'shixun.db'}"
    upgrade(url)
    monkeypatch.setenv("SHIXUN_GENERAL__DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SHIXUN_DB", url)
    monkeypatch.setenv("SHIXUN_LANG", "en")

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(["--json", *args])
        out, err = capsys.readouterr()
        return code, out, err

    run.url = url
    return run


def _add_user(url: str, login: str) -> None:
    engine = make_engine(url)
    with Session(engine) as db:
        db.add(User(login=login, display_name=login, role=Role.MENTOR))
        db.commit()
    engine.dispose()


def test_server_key_is_created_once(shixun, tmp_path):
    code, out, _ = shixun("keys", "server")
    assert code == 0 and len(json.loads(out)["public_key"]) == 40
    code, _, err = shixun("keys", "server")
    assert code == 2 and "already exists" in err and len(err.strip().splitlines()) == 1


def test_generate_needs_the_server_key_and_a_known_user(shixun):
    code, _, err = shixun("keys", "generate", "--user", "alice")
    assert code == 2 and "keys server" in err
    shixun("keys", "server")
    code, _, err = shixun("keys", "generate", "--user", "nobody")
    assert code == 2 and "nobody" in err


def test_generate_writes_a_bundle_and_stores_only_the_public_key(shixun, tmp_path):
    _add_user(shixun.url, "alice")
    shixun("keys", "server")
    code, out, _ = shixun("keys", "generate", "--user", "alice", "--out", str(tmp_path / "bundle"))
    assert code == 0
    result = json.loads(out)
    bundle = tmp_path / "bundle"
    assert {p.name for p in bundle.iterdir()} == {"alice.key", "alice.key_secret", "server.key"}
    assert stat.S_IMODE((bundle / "alice.key_secret").stat().st_mode) == 0o600
    mine = CurveKeys.load(bundle / "alice.key_secret")
    assert mine.public.decode() == result["public_key"] and mine.secret is not None
    assert CurveKeys.load(bundle / "server.key").secret is None
    engine = make_engine(shixun.url)
    with Session(engine) as db:
        assert (
            db.scalars(select(User.curve_public_key).where(User.login == "alice")).one()
            == result["public_key"]
        )
    shixun("keys", "revoke", "--user", "alice")
    with Session(engine) as db:
        assert db.scalars(select(User.curve_public_key).where(User.login == "alice")).one() is None
    engine.dispose()


def test_serve_needs_a_server_key(shixun):
    code, _, err = shixun("lab", "serve", "--duration", "0.5")
    assert code == 2 and "keys server" in err


def test_serve_runs_and_reports_its_endpoints(shixun):
    shixun("keys", "server")
    code, out, err = shixun(
        "lab",
        "serve",
        "--requests",
        "tcp://127.0.0.1:0",
        "--stations",
        "tcp://127.0.0.1:0",
        "--viewers",
        "tcp://127.0.0.1:0",
        "--video",
        "tcp://127.0.0.1:0",
        "--duration",
        "0.5",
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["endpoints"]["stations"].startswith("tcp://127.0.0.1:")
    assert result["endpoints"]["requests"].startswith("tcp://127.0.0.1:")
    assert "lab server running" in err


def test_serve_on_a_busy_port_is_a_one_line_error(shixun):
    import zmq

    shixun("keys", "server")
    ctx = zmq.Context()
    squatter = ctx.socket(zmq.PUB)
    port = squatter.bind_to_random_port("tcp://127.0.0.1")
    try:
        code, _, err = shixun("lab", "serve", "--stations", f"tcp://127.0.0.1:{port}", "--duration", "0.5")
    finally:
        ctx.destroy(linger=0)
    assert code == 2 and "cannot bind" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("bad", [("--stations", "udp://x"), ("--duration", "-1")])
def test_serve_bad_arguments_are_one_line(shixun, bad):
    shixun("keys", "server")
    code, _, err = shixun("lab", "serve", *bad)
    assert code == 2 and len(err.strip().splitlines()) == 1


def test_recording_info_and_window(shixun, tmp_path):
    path = tmp_path / "s1.mcap"
    with SessionWriter(path, "st01", "s1") as writer:
        for i in range(10):
            writer.write(
                Kind.POSE,
                Envelope(type="pose", station="st01", session="s1", seq=i, body={"i": i}, t_wall=100.0 + i),
            )
    code, out, _ = shixun("lab", "recording", str(path))
    assert code == 0 and json.loads(out)["messages"] == {"pose": 10}
    code, out, _ = shixun("lab", "recording", str(path), "--kind", "pose", "--start", "102", "--end", "105")
    assert [m["seq"] for m in json.loads(out)] == [2, 3, 4]
    (tmp_path / "junk.mcap").write_bytes(b"junk")
    code, _, err = shixun("lab", "recording", str(tmp_path / "junk.mcap"))
    assert code == 2 and len(err.strip().splitlines()) == 1
