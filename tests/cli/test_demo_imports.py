"""`shixun --help` stays fast: the runtime's command modules load no heavy library until a handler runs."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("pybullet", "mediapipe", "cv2", "sqlalchemy", "PyQt6", "matplotlib", "scipy", "zmq", "onnxruntime")
MODULES = ("station_app.cli.demo", "station_app.cli.session", "station_app.cli.sim")


def test_demo_session_and_sim_commands_import_no_heavy_library_at_module_level() -> None:
    script = (
        "import importlib, json, sys\n"
        f"for name in {MODULES!r}:\n"
        "    importlib.import_module(name).register\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == []


def test_the_check_sees_a_heavy_import() -> None:
    """The same probe does notice a heavy library once a handler's imports run."""
    script = (
        "import json, sys\n"
        "import station_app.runtime.live\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert "zmq" in json.loads(done.stdout)
