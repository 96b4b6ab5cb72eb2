"""Crane geometry from the spec's constants and an attempt's parameters, and the pendulum it makes.

The hoist rope is one rigid link of variable length: a two-axis (cardan) pivot under the trolley and a
prismatic joint whose position is the rope length, carrying the hook block with the payload slung
rigidly below it (shared/reference/crane_and_scenarios.md §5.1).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

G = 9.81
HOOK_HALF = (0.2, 0.15, 0.25)  # hook block half extents, m
ROPE_LINK_MASS = 1.0  # the rope's own link (kg), at the pivot; keeps the multibody well conditioned
PIVOT_LINK_MASS = 1.0  # the cardan cross between the two sway axes (kg)
PIVOT_LINK_INERTIA = 0.01  # kg·m², both cardan parts


@dataclass(frozen=True)
class CraneGeometry:
    pivot_height: float  # trolley pivot above the floor, m
    hook_mass: float
    load_mass: float
    load_side: float  # load footprint is square
    load_height: float
    sling: float  # hook block bottom to load top, m
    min_rope: float  # upper limit switch
    two_block_rope: float  # rope length at which the hook block hits the trolley
    max_rope: float

    @classmethod
    def build(cls, constants: Mapping[str, float], params: Mapping[str, Any]) -> CraneGeometry:
        hang = 2 * HOOK_HALF[2] + constants["sling_length_m"] + constants["load_height_m"]
        rope = float(params["rope_length_m"])
        return cls(
            pivot_height=rope + hang + constants["start_clearance_m"],
            hook_mass=constants["hook_mass_kg"],
            load_mass=float(params["load_mass_kg"]),
            load_side=constants["load_side_m"],
            load_height=constants["load_height_m"],
            sling=constants["sling_length_m"],
            min_rope=constants["min_rope_m"],
            two_block_rope=constants["two_block_rope_m"],
            max_rope=rope + constants["start_clearance_m"],
        )

    @property
    def hook_offset(self) -> float:
        """Hook block centre below the rope end, m."""
        return HOOK_HALF[2]

    @property
    def load_offset(self) -> float:
        """Load centre below the rope end, m."""
        return 2 * HOOK_HALF[2] + self.sling + self.load_height / 2

    def load_bottom(self, rope: float) -> float:
        """Height of the load's underside above the floor when hanging plumb, m."""
        return self.pivot_height - rope - self.load_offset - self.load_height / 2

    def rope_for_bottom(self, bottom: float) -> float:
        return self.pivot_height - self.load_offset - self.load_height / 2 - bottom

    def pendulum_period(self, rope: float) -> float:
        """Small-swing period of the physical pendulum (rope link, hook block, payload) about the pivot, s.

        T = 2π·sqrt(I_pivot / (m·g·d)), I_pivot = Σ(I_cm + m·r²) over the swinging bodies, d = COM depth.
        """
        hx, _, hz = (2 * h for h in HOOK_HALF)
        hook_i = self.hook_mass * (hx**2 + hz**2) / 12
        load_i = self.load_mass * (self.load_side**2 + self.load_height**2) / 12
        r_hook, r_load = rope + self.hook_offset, rope + self.load_offset
        inertia = (
            2 * PIVOT_LINK_INERTIA + hook_i + self.hook_mass * r_hook**2 + load_i + self.load_mass * r_load**2
        )
        moment = self.hook_mass * r_hook + self.load_mass * r_load
        return 2 * math.pi * math.sqrt(inertia / (G * moment))
