"""Where a learner's files are: clips under `<clips dir>/<session id>/`, recordings at the session's
`recording_path`. One place, so export, deletion and purge agree on what belongs to whom."""

from __future__ import annotations

import contextlib
from pathlib import Path

from lab.store.models import TrainingSession


def clip_dir(clips_dir: Path, session_id: str) -> Path:
    return clips_dir / session_id


def clip_files(clips_dir: Path, session_id: str) -> list[Path]:
    folder = clip_dir(clips_dir, session_id)
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


def recording_file(session: TrainingSession) -> Path | None:
    if not session.recording_path:
        return None
    path = Path(session.recording_path)
    return path if path.is_file() else None


def remove(paths: list[Path]) -> int:
    """Delete files (already gone is fine); returns how many were deleted."""
    removed = 0
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed += 1
    return removed


def prune_empty_session_dirs(clips_dir: Path) -> None:
    """Remove session folders in the clips dir that no longer hold anything."""
    if clips_dir.is_dir():
        for folder in clips_dir.iterdir():
            if folder.is_dir() and not any(folder.rglob("*")):
                folder.rmdir()
