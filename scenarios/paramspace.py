"""The adaptive view of a scenario spec: its parameters as a vector in [0, 1] (1 = hard end).

The learner model and the generator work in this normalised space so that every parameter's
weight is comparable (shared/reference/adaptive.md §3.1: "x are the normalised scenario
parameters"); the spec's `Parameter.normalise/denormalise` convert to and from physical units.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np

from scenarios.difficulty import DifficultyModel, from_mapping
from scenarios.spec import FAULTS_KEY, Parameter, Spec

# Defaults for a skill the spec does not calibrate (no slope/intercept): a_k = 1 and b_k such that an
# average newcomer (θ = 0) passes that skill at the easiest settings with P ≈ 0.82.
PRIOR_SLOPE = 1.0
PRIOR_INTERCEPT = -1.5
CERTIFICATION_LEVEL = 0.7  # normalised level of every parameter in the fixed certification attempt


@dataclass(frozen=True)
class Space:
    """A spec seen as axes, skills and faults in a fixed order."""

    spec: Spec

    @cached_property
    def axes(self) -> tuple[Parameter, ...]:
        return tuple(self.spec.parameters.values())

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.spec.parameters)

    @property
    def skills(self) -> tuple[str, ...]:
        return self.spec.skill_ids

    @property
    def faults(self) -> tuple[str, ...]:
        return tuple(self.spec.faults)

    def normalise(self, params: Mapping[str, Any]) -> np.ndarray:
        return np.array([p.normalise(params[p.name]) for p in self.axes])

    def physical(self, x: np.ndarray) -> dict[str, Any]:
        """Spec units, rounded to each parameter's type (floats to 3 decimals for readable records)."""
        values = {p.name: p.denormalise(float(v)) for p, v in zip(self.axes, x, strict=True)}
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in values.items()}

    def fault_vector(self, faults: Sequence[str]) -> np.ndarray:
        return np.array([1.0 if f in faults else 0.0 for f in self.faults])

    def attempt_params(self, x: np.ndarray, faults: Sequence[str]) -> dict[str, Any]:
        """What `shixun sim run --params` takes: every parameter plus the injected faults."""
        return self.physical(x) | {FAULTS_KEY: list(faults)}

    def certification(self) -> dict[str, Any]:
        """The fixed certification attempt: every parameter at CERTIFICATION_LEVEL, no faults."""
        return self.attempt_params(np.full(len(self.axes), CERTIFICATION_LEVEL), ())

    def skill_outcomes(self, sub_scores: Mapping[str, Any]) -> np.ndarray:
        """What the learner model observes per skill (K,): pass 1 / fail 0 (sub-score ≥ the skill's
        `pass_score`), which is what the LLTM predicts; the graded sub-score for a skill without one."""
        return np.array(
            [
                float(sub_scores[s.id])
                if s.pass_score is None
                else float(float(sub_scores[s.id]) >= s.pass_score)
                for s in self.spec.skills
            ]
        )

    def prior_model(self) -> DifficultyModel:
        """The LLTM prior from the spec (shared/reference/adaptive.md §3.1): its difficulty and fault
        weights, and per skill its calibrated slope and intercept, else PRIOR_SLOPE / PRIOR_INTERCEPT."""
        skills = self.spec.skills
        model = from_mapping(
            self.skills,
            self.names,
            self.faults,
            self.spec.difficulty_weights(),
            self.spec.fault_effects(),
            intercept={s.id: PRIOR_INTERCEPT if s.intercept is None else s.intercept for s in skills},
        )
        return replace(model, slope=np.array([PRIOR_SLOPE if s.slope is None else s.slope for s in skills]))
