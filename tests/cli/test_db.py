"""`shixun db upgrade` / `shixun db info` on new SQLite files and on PostgreSQL; bad URLs exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lab.store.migrate import head_revision
from lab.store.models import Base
from station_app.cli.main import main

SHIXUN = Path(sys.executable).parent / "shixun"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _upgrade_then_info(capsys: pytest.CaptureFixture[str], url: str) -> dict:
    code, out, _ = _run(capsys, "--db", url, "--json", "db", "upgrade")
    assert code == 0
    upgraded = json.loads(out)
    assert (upgraded["previous_revision"], upgraded["current_revision"]) == (None, head_revision())
    code, out, _ = _run(capsys, "--db", url, "--json", "db", "info")
    assert code == 0
    assert len(out.splitlines()) == 1  # one JSON object
    return json.loads(out)


def test_upgrade_then_info_on_a_new_sqlite_file(capsys: pytest.CaptureFixture[str], sqlite_url: str) -> None:
    info = _upgrade_then_info(capsys, sqlite_url)
    assert info["dialect"] == "sqlite"
    assert (info["current_revision"], info["up_to_date"]) == (head_revision(), True)
    assert info["tables"] == dict.fromkeys(sorted(Base.metadata.tables), 0)


@pytest.mark.postgres
def test_upgrade_then_info_on_postgresql(capsys: pytest.CaptureFixture[str], postgres_url: str) -> None:
    with_password = postgres_url.replace("postgres@", "postgres:sekret@")  # trust auth ignores it
    info = _upgrade_then_info(capsys, with_password)
    assert info["dialect"] == "postgresql" and info["driver"] == "psycopg"
    assert int(info["server_version"].split(".")[0]) >= 12
    assert "sekret" not in json.dumps(info) and "postgres:***@" in info["url"]
    assert info["tables"] == dict.fromkeys(sorted(Base.metadata.tables), 0)


def test_second_upgrade_reports_up_to_date(capsys: pytest.CaptureFixture[str], sqlite_url: str) -> None:
    assert main(["--db", sqlite_url, "db", "upgrade"]) == 0
    code, out, _ = _run(capsys, "--db", sqlite_url, "--lang", "en", "db", "upgrade")
    assert code == 0 and "already up to date" in out
    code, out, _ = _run(capsys, "--db", sqlite_url, "--json", "db", "upgrade")
    assert json.loads(out)["previous_revision"] == head_revision()


def test_default_store_is_sqlite_in_the_user_data_dir(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--json", "db", "upgrade")
    assert code == 0
    expected = Path(os.environ["XDG_DATA_HOME"]) / "shixun" / "shixun.db"  # isolated by conftest
    assert expected.exists()
    assert json.loads(out)["url"] == f"sqlite:///{expected}"


def test_shixun_db_environment_variable_selects_the_store(
    capsys: pytest.CaptureFixture[str], sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHIXUN_DB", sqlite_url)
    code, out, _ = _run(capsys, "--json", "db", "upgrade")
    assert code == 0 and json.loads(out)["url"] == sqlite_url


def test_human_info_in_both_languages(capsys: pytest.CaptureFixture[str], sqlite_url: str) -> None:
    main(["--db", sqlite_url, "db", "upgrade"])
    capsys.readouterr()
    _, english, _ = _run(capsys, "--db", sqlite_url, "--lang", "en", "db", "info")
    _, chinese, _ = _run(capsys, "--db", sqlite_url, "--lang", "zh", "db", "info")
    assert "(up to date)" in english and "bookings: 0" in english
    assert "（最新）" in chinese and "bookings: 0" in chinese


@pytest.mark.parametrize(
    "argv",
    [
        ["--db", "postgresql+psycopg://x@127.0.0.1:1/x", "db", "info"],  # nothing listens on port 1
        ["--db", "postgresql+psycopg://x@127.0.0.1:1/x", "db", "upgrade"],
        ["--db", "::not a url::", "db", "upgrade"],
        ["--db", "mysql://u@localhost/db", "db", "info"],
        ["db", "info"],  # the default store does not exist yet: info must not create it
    ],
)
def test_bad_store_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, _, err = _run(capsys, *argv)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("shixun: ")
    assert not list(Path(os.environ["XDG_DATA_HOME"]).glob("**/shixun.db"))


@pytest.mark.parametrize("argv", [["db"], ["db", "downgrade"], ["db", "info", "--bogus"]])
def test_bad_arguments_are_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_real_entry_point_never_shows_a_traceback(tmp_path: Path) -> None:
    for url in ("postgresql+psycopg://x:hunter2@127.0.0.1:1/x", "sqlite:///" + str(tmp_path / "none.db")):
        result = subprocess.run(
            [str(SHIXUN), "--db", url, "db", "info"], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 2
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
        assert "hunter2" not in result.stderr
