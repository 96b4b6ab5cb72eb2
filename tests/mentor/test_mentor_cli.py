"""`shixun mentor` refuses bad input with one line and exit code 2, before any window opens."""

from __future__ import annotations

import pytest

from lab.bus.security import CurveKeys
from station_app.cli.main import main


@pytest.fixture
def shixun(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SHIXUN_GENERAL__DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SHIXUN_DB", f"sqlite:///{tmp_path / 'shixun.db'}")
    monkeypatch.setenv("SHIXUN_LANG", "en")

    def run(*args: str) -> tuple[int, str]:
        capsys.readouterr()
        code = main(list(args))
        return code, capsys.readouterr().err

    return run


def test_a_folder_that_is_not_a_key_bundle_is_one_line(shixun, tmp_path) -> None:
    half = tmp_path / "half"
    CurveKeys.generate().write(half, "zhou")  # the keypair without the server's public key
    for folder in (tmp_path / "missing", half):
        code, err = shixun("mentor", "--bundle", str(folder))
        assert code == 2 and "is not a key bundle" in err and len(err.strip().splitlines()) == 1


def test_a_bad_lab_server_address_is_one_line(shixun) -> None:
    code, err = shixun("mentor", "--lab", "udp://somewhere")
    assert code == 2 and "invalid URL" in err and len(err.strip().splitlines()) == 1


def test_the_bundle_from_the_configuration_is_checked_too(shixun, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SHIXUN_MENTOR__BUNDLE", str(tmp_path / "nowhere"))
    code, err = shixun("mentor")
    assert code == 2 and "nowhere" in err
