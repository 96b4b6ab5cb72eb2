"""`shixun --version` / `--help` stay fast: building the parser imports every command module, so a
command module loads heavy libraries only inside its handlers (each module checked in a fresh
interpreter, so one module's imports cannot hide another's)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = frozenset({"pybullet", "mediapipe", "cv2", "sqlalchemy", "alembic", "PyQt6", "matplotlib", "scipy", "zmq", "ortools", "onnxruntime", "mcap", "icalendar", "argon2", "psycopg", "numpy"})  # fmt: skip
# Command modules (in station_app/cli/) that must stay light; add the rest here as they are fixed.
LIGHT_MODULES = ["admin", "audit", "book", "calendar", "classes", "coach", "consent", "db", "demo", "edge", "equipment", "instructor", "keys", "lab", "learner", "login", "mentor", "progress", "purge", "scenarios", "session", "settings", "sim", "station", "timetable", "users", "vision"]  # fmt: skip


def heavy_libraries_after(code: str) -> list[str]:
    """The heavy top-level packages a fresh interpreter has loaded after running `code`."""
    script = (
        f"{code}\nimport json, sys\nprint(json.dumps(sorted({{m.partition('.')[0] for m in sys.modules}})))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return sorted(HEAVY.intersection(json.loads(done.stdout.splitlines()[-1])))


@pytest.mark.parametrize("name", LIGHT_MODULES)
def test_command_module_imports_no_heavy_library(name: str) -> None:
    code = (
        f"import argparse, station_app.cli.{name} as m\n"
        "if hasattr(m, 'register'):\n"
        "    m.register(argparse.ArgumentParser().add_subparsers())"
    )
    assert heavy_libraries_after(code) == []


def test_building_the_whole_parser_imports_no_heavy_library() -> None:
    assert heavy_libraries_after("from station_app.cli.main import build_parser\nbuild_parser()") == []


def test_the_probe_sees_a_heavy_import() -> None:
    """The same probe notices the store once a handler's imports run."""
    assert "sqlalchemy" in heavy_libraries_after("import station_app.admin.support")


def test_literal_choices_are_the_store_enums() -> None:
    """`register()` spells the choices out rather than import the store; they must not drift."""
    from lab.store.models import ConsentGiver, ConsentKind, Role
    from station_app.cli import consent, users

    assert tuple(role.value for role in Role) == users.ROLES
    assert tuple(kind.value for kind in ConsentKind) == consent.KINDS
    assert tuple(giver.value for giver in ConsentGiver) == consent.GIVERS


def test_literal_backends_are_the_vision_backends() -> None:
    """`shixun vision run --backend` spells the backends out rather than import the pose backends."""
    from station_app.cli import vision
    from vision.backends import BACKENDS

    assert vision.BACKENDS == BACKENDS
