"""Configuration precedence and validation: defaults < file < environment < flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.bus.text import UserError
from station_app.config import load_config


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_give_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    config = load_config(environ={"SHIXUN_CONFIG": str(write(tmp_path / "c.toml", ""))})
    assert config.db_url.startswith("sqlite:///") and config.db_url.endswith("shixun.db")
    assert config.get("vision", "backend") == "mediapipe"


def test_file_then_environment_then_flags(tmp_path: Path) -> None:
    file = write(tmp_path / "c.toml", '[store]\nurl = "sqlite:///file.db"\n[vision]\nthreads = 4\n')
    env = {"SHIXUN_CONFIG": str(file)}
    assert load_config(environ=env).db_url == "sqlite:///file.db"
    env["SHIXUN_DB"] = "sqlite:///env.db"
    env["SHIXUN_VISION__THREADS"] = "1"
    config = load_config(environ=env)
    assert config.db_url == "sqlite:///env.db"
    assert config.get("vision", "threads") == 1
    flagged = load_config(overrides={"store": {"url": "sqlite:///flag.db"}}, environ=env)
    assert flagged.db_url == "sqlite:///flag.db"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[nope]\nx = 1\n", "unknown config section"),
        ("[vision]\nnope = 1\n", "unknown config key vision.nope"),
        ('[vision]\nthreads = "two"\n', "vision.threads must be of type int"),
        ('[vision]\nbackend = "tensorflow"\n', "must be one of mediapipe, onnx"),
        ("[vision\n", "cannot read config file"),
    ],
)
def test_bad_settings_are_user_errors(tmp_path: Path, text: str, needle: str) -> None:
    file = write(tmp_path / "c.toml", text)
    with pytest.raises(UserError) as raised:
        load_config(environ={"SHIXUN_CONFIG": str(file)})
    assert needle in raised.value.message("en")
    assert raised.value.message("zh") != raised.value.message("en")


def test_bad_environment_value_is_a_user_error(tmp_path: Path) -> None:
    env = {"SHIXUN_CONFIG": str(write(tmp_path / "c.toml", "")), "SHIXUN_PRIVACY__STREAM_VIDEO": "maybe"}
    with pytest.raises(UserError, match="true or false"):
        load_config(environ=env)


def test_language_auto_follows_lang(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"SHIXUN_CONFIG": str(write(tmp_path / "c.toml", ""))}
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert load_config(environ=env).language == "zh"
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert load_config(environ=env).language == "en"
