"""The scene snapshot of a running session, for the 3D view.

`StationSession` streams each step's snapshot (body poses, zones, wind) to the bus and the recording
but does not hand it to its caller: `Tick` carries the `CraneState`, which has no zones. Until the
runtime exposes it (requested: `Tick.snapshot` or `StationSession.snapshot()`), this is the one place
that reaches into the session for it.
"""

from __future__ import annotations

from typing import Any

from station_app.runtime.session import StationSession


def current_snapshot(session: StationSession) -> dict[str, Any] | None:
    run = session._run  # see the module docstring: the runtime has no public accessor yet
    return None if run is None else run.scene.snapshot()
