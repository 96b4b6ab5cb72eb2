"""Configuration in one place: defaults here, a TOML file, environment overrides, CLI flags.

Precedence (last wins): DEFAULTS < config file < environment < command-line flags.

- File: `$SHIXUN_CONFIG`, else `config.toml` in the user config dir (platformdirs), if it exists.
- Environment: `SHIXUN_DB` for the store URL, `SHIXUN_LANG` for the language, and
  `SHIXUN_<SECTION>__<KEY>` for any other key (e.g. `SHIXUN_VISION__BACKEND=onnx`).
- Flags: `--db`, `--lang`, `--config`.

Lower layers never read configuration themselves: the front end passes them plain values.
A new setting is added by adding it to DEFAULTS (with its type given by the default value).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from lab.bus.text import Lang, UserError

APP_NAME = "shixun"

DEFAULTS: dict[str, dict[str, Any]] = {
    "general": {
        "language": "auto",  # "zh", "en", or "auto" (from $LANG)
        "data_dir": "",  # empty: the user data dir
    },
    "store": {
        "url": "",  # empty: SQLite file `shixun.db` in the data dir
    },
    "vision": {
        "backend": "mediapipe",  # or "onnx"
        "onnx_provider": "CPUExecutionProvider",
        "onnx_model_dir": "",  # empty: the models shipped in the package (vision/models)
        "threads": 2,
        "smoothing": True,
        "min_cutoff": 0.1,  # One Euro filter (motion_comparison.md §3.3), = vision.smoothing.MIN_CUTOFF
        "beta": 20.0,  # tuned in benchmarks/results/vision_smoothing.md, = vision.smoothing.BETA
        "task_model": "",  # a MediaPipe PoseLandmarker .task file: use the Tasks API instead of mp.solutions
    },
    "bus": {
        "lab_server": "tcp://127.0.0.1:5560",
        "request_endpoint": "tcp://127.0.0.1:5561",
    },
    "mentor": {
        "bundle": "",  # the mentor's key bundle folder (`shixun keys generate`); empty: ask at log-in
        "recordings_dir": "",  # the lab server's recordings; empty: `recordings/lab/` in the data dir
    },
    "privacy": {
        "stream_video": False,  # only with consent and a role that may see it
        "clips_dir": "",  # empty: `clips/` in the data dir, one folder per session
        "clip_retention_days": 7,  # retention per data kind, enforced by `shixun purge`
        "keypoint_retention_days": 180,
        "learner_record_retention_days": 1095,
        "audit_retention_days": 365,  # never below six months (Cybersecurity Law Art. 21)
        "login_minutes": 30,  # lifetime of a `shixun login`
    },
    "scheduling": {
        "timezone": "Asia/Shanghai",  # the lab's local time: booking rules, messages, the week grid
        "week_days": 5,  # timetable grid: Monday..Friday
        "day_start": "08:00",
        "slots_per_day": 16,  # × slot_minutes: 08:00–16:00
        "slot_minutes": 30,
        "solver_seconds": 10.0,  # CP-SAT wall-clock limit (shared/reference/bus_booking_privacy.md §2.4)
        "solver_workers": 2,
        "solver_seed": 0,
        "offline_after_s": 30.0,  # device health: no heartbeat for this long = offline
        "min_fps": 25.0,
        "max_latency_ms": 60.0,
        "max_dropped_frames": 30,
        "max_cpu_percent": 95.0,
        "min_disk_free_gb": 2.0,
    },
}


CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("general", "language"): ("auto", "zh", "en"),
    ("vision", "backend"): ("mediapipe", "onnx"),
}


@dataclass(frozen=True)
class Config:
    """Resolved settings: a section -> key -> value mapping plus where the file came from."""

    values: dict[str, dict[str, Any]]
    source: Path | None

    def get(self, section: str, key: str) -> Any:
        return self.values[section][key]

    @property
    def data_dir(self) -> Path:
        configured = self.values["general"]["data_dir"]
        return Path(configured) if configured else Path(platformdirs.user_data_dir(APP_NAME))

    @property
    def db_url(self) -> str:
        url = self.values["store"]["url"]
        return url or f"sqlite:///{self.data_dir / 'shixun.db'}"

    @property
    def language(self) -> Lang:
        chosen = self.values["general"]["language"]
        if chosen in ("zh", "en"):
            return chosen
        return "zh" if os.environ.get("LANG", "").lower().startswith("zh") else "en"


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def load_config(
    config_file: str | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
    environ: dict[str, str] | None = None,
) -> Config:
    """Merge defaults, file, environment and flag overrides; raise UserError on a bad setting."""
    env = os.environ if environ is None else environ
    values = {section: dict(keys) for section, keys in DEFAULTS.items()}
    path = Path(config_file or env.get("SHIXUN_CONFIG") or default_config_path())
    source: Path | None = None
    if path.exists():
        source = path
        _merge(values, _read_toml(path), origin=str(path))
    elif config_file or env.get("SHIXUN_CONFIG"):
        raise UserError(f"找不到配置文件：{path}", f"config file not found: {path}")
    _merge(values, _from_environment(env), origin="environment")
    _merge(values, overrides or {}, origin="command line")
    return Config(values=values, source=source)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UserError(f"无法读取配置文件 {path}：{exc}", f"cannot read config file {path}: {exc}") from exc
    except RecursionError:  # tomllib recurses per nesting level
        raise UserError(f"配置文件 {path} 嵌套层数过多", f"config file {path} is nested too deeply") from None


def _from_environment(env: dict[str, str] | os._Environ[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    if env.get("SHIXUN_DB"):
        found.setdefault("store", {})["url"] = env["SHIXUN_DB"]
    if env.get("SHIXUN_LANG"):
        found.setdefault("general", {})["language"] = env["SHIXUN_LANG"]
    for name, raw in env.items():
        if name.startswith("SHIXUN_") and "__" in name:
            section, _, key = name.removeprefix("SHIXUN_").lower().partition("__")
            default = DEFAULTS.get(section, {}).get(key)
            found.setdefault(section, {})[key] = _parse_env_value(name, raw, default)
    return found


def _parse_env_value(name: str, raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise UserError(
            f"环境变量 {name} 应为 true/false", f"environment variable {name} must be true or false"
        )
    if isinstance(default, int | float):
        try:
            return type(default)(raw)
        except ValueError:
            raise UserError(
                f"环境变量 {name} 应为数字", f"environment variable {name} must be a number"
            ) from None
    return raw


def _merge(values: dict[str, dict[str, Any]], new: dict[str, Any], origin: str) -> None:
    for section, keys in new.items():
        if section not in DEFAULTS or not isinstance(keys, dict):
            raise UserError(
                f"{origin}：未知的配置节 [{section}]", f"{origin}: unknown config section [{section}]"
            )
        for key, value in keys.items():
            if key not in DEFAULTS[section]:
                raise UserError(
                    f"{origin}：未知的配置项 {section}.{key}", f"{origin}: unknown config key {section}.{key}"
                )
            expected = type(DEFAULTS[section][key])
            ok = isinstance(value, expected) or (expected is float and isinstance(value, int))
            if not ok or (expected is int and isinstance(value, bool)):
                raise UserError(
                    f"{origin}：{section}.{key} 应为 {expected.__name__} 类型",
                    f"{origin}: {section}.{key} must be of type {expected.__name__}",
                )
            allowed = CHOICES.get((section, key))
            if allowed and value not in allowed:
                raise UserError(
                    f"{origin}：{section}.{key} 只能取 {', '.join(allowed)}",
                    f"{origin}: {section}.{key} must be one of {', '.join(allowed)}",
                )
            values[section][key] = value
