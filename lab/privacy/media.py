"""Finding image and video files on disk, to prove none are left where none may be.

The station runtime calls `find_media_files` over its data directories after a session run with
clip retention 0 (and the purge uses `is_media_file` to know what a clip is). Files are recognised
by extension and by content (magic bytes), so a renamed JPEG is still found; session recordings
(MCAP) count as media when they carry an image or video channel.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from mcap.exceptions import McapError
from mcap.reader import make_reader

IMAGE_SUFFIXES = frozenset(
    [
        ".jpg",
        ".jpeg",
        ".jpe",
        ".png",
        ".bmp",
        ".gif",
        ".webp",
        ".tif",
        ".tiff",
        ".ppm",
        ".pgm",
        ".pnm",
        ".heic",
        ".heif",
        ".avif",
        ".jxl",
    ]
)
VIDEO_SUFFIXES = frozenset(
    [
        ".mp4",
        ".m4v",
        ".mov",
        ".avi",
        ".mkv",
        ".webm",
        ".mjpeg",
        ".mjpg",
        ".h264",
        ".h265",
        ".264",
        ".265",
        ".hevc",
        ".ts",
        ".flv",
        ".wmv",
        ".3gp",
        ".mpg",
        ".mpeg",
        ".yuv",
        ".y4m",
    ]
)
_MAGIC: tuple[tuple[int, bytes], ...] = (
    (0, b"\xff\xd8\xff"),  # JPEG
    (0, b"\x89PNG\r\n\x1a\n"),
    (0, b"GIF87a"),
    (0, b"GIF89a"),
    (0, b"II*\x00"),  # TIFF, little-endian
    (0, b"MM\x00*"),  # TIFF, big-endian
    (0, b"\x1aE\xdf\xa3"),  # Matroska / WebM
    (0, b"FLV"),
    (0, b"YUV4MPEG2"),
    (0, b"\x00\x00\x01\xba"),  # MPEG program stream
    (0, b"\x00\x00\x00\x01\x67"),  # H.264 Annex B stream starting with an SPS
    (4, b"ftyp"),  # MP4, MOV, 3GP, HEIC, AVIF
    (8, b"AVI "),  # RIFF....AVI
    (8, b"WEBP"),  # RIFF....WEBP
)
_MCAP_MAGIC = b"\x89MCAP"
_IMAGE_CHANNEL_HINTS = ("image", "video", "jpeg", "jpg", "png")


def is_media_file(path: Path) -> bool:
    """Is this file an image or a video (or a recording with an image/video channel)?"""
    if path.suffix.lower() in IMAGE_SUFFIXES | VIDEO_SUFFIXES:
        return True
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
    except OSError:
        return False
    if head.startswith(_MCAP_MAGIC):
        return _recording_has_images(path)
    return any(head[offset : offset + len(magic)] == magic for offset, magic in _MAGIC)


def find_media_files(roots: Iterable[Path]) -> list[Path]:
    """Every image or video file under `roots` (missing roots are fine: nothing is there)."""
    found: list[Path] = []
    for root in roots:
        candidates = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        found.extend(p for p in candidates if is_media_file(p))
    return found


def _recording_has_images(path: Path) -> bool:
    """An MCAP recording with a channel or schema that carries images or video."""
    try:
        with path.open("rb") as handle:
            summary = make_reader(handle).get_summary()
    except (McapError, OSError, ValueError, EOFError):
        return True  # unreadable: it cannot be shown to be free of images
    if summary is None:
        return True
    names = [c.topic for c in summary.channels.values()] + [s.name for s in summary.schemas.values()]
    return any(hint in name.lower() for name in names for hint in _IMAGE_CHANNEL_HINTS)
