"""What the scene tells the coach about each frame: step, machine state, hazard zones, REBA inputs.

Plain values only, so the coach works the same whether the sim, a recording or a test supplies them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from matplotlib.path import Path as MplPath

from coach.reba import RebaInputs
from lab.bus.text import Text, UserError


@dataclass(frozen=True)
class DangerZone:
    """A hazard area: a polygon in normalised image coordinates, or on the floor (metres).

    A floor zone needs `homography`, the 3x3 matrix from calibration that maps normalised image
    points on the floor plane to floor metres.
    """

    zone_id: str
    polygon: np.ndarray  # (n, 2)
    space: str = "image"  # "image" or "floor"
    homography: np.ndarray | None = None
    name: Text = field(default_factory=lambda: Text(zh="危险区域", en="danger zone"))

    def __post_init__(self) -> None:
        polygon = np.asarray(self.polygon, dtype=np.float64)
        if polygon.ndim != 2 or polygon.shape[1] != 2 or len(polygon) < 3:
            raise UserError(
                f"危险区域 {self.zone_id} 需要至少 3 个二维顶点",
                f"danger zone {self.zone_id} needs at least 3 two-dimensional vertices",
            )
        if self.space not in ("image", "floor"):
            raise UserError(
                f"危险区域 {self.zone_id} 的坐标系只能是 image 或 floor",
                f"danger zone {self.zone_id}: space must be image or floor",
            )
        if self.space == "floor" and (self.homography is None or np.shape(self.homography) != (3, 3)):
            raise UserError(
                f"地面危险区域 {self.zone_id} 需要 3x3 单应矩阵（标定）",
                f"floor danger zone {self.zone_id} needs a 3x3 homography from calibration",
            )
        object.__setattr__(self, "polygon", polygon)
        object.__setattr__(self, "_path", MplPath(polygon))

    def contains(self, point: np.ndarray) -> bool:
        """Whether a point (in this zone's space) lies inside the polygon."""
        return bool(self._path.contains_point((float(point[0]), float(point[1]))))


@dataclass(frozen=True)
class FrameContext:
    """Per-frame scene context: the task-chain step, whether the machine moves, zones, REBA inputs."""

    step_id: str | None = None
    machine_active: bool = False
    danger_zones: tuple[DangerZone, ...] = ()
    reba: RebaInputs = field(default_factory=RebaInputs)
