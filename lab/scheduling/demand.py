"""From skill estimates to session requests: more station time where learners lag (pure).

A learner's lag on a scenario is their predicted chance of failing it at mid difficulty,
averaged over the scenario's skills: mean_k (1 − σ(θ_k)), with θ_k the learner model's ability
estimate (scenarios/learner.py; the difficulty scale puts a mid-difficulty task at 0). A class's lag
is its learners' mean. Every class gets its base sessions per scenario (required); on top, each
(class, scenario) and each learner who lags clearly more than the class gets optional extra sessions
whose number and weight grow with the lag, so CP-SAT fills spare station time lag-first.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lab.scheduling.timetable import SessionRequest

WEIGHT_SCALE = 100  # lag 1.0 → weight 100 for the first extra session


@dataclass(frozen=True)
class Need:
    """How far a party (class or learner) lags on a scenario, in [0, 1]."""

    party: str  # "class:2A" or "learner:L017"
    scenario: str
    lag: float


def lag(abilities: Sequence[float]) -> float:
    """Predicted failure probability at mid difficulty, averaged over skills."""
    if not abilities:
        return 0.5
    return sum(1 / (1 + math.exp(theta)) for theta in abilities) / len(abilities)


def needs_from_estimates(
    estimates: Mapping[str, Mapping[str, Sequence[float]]],
    class_of: Mapping[str, str],
    individual_margin: float = 0.15,
) -> list[Need]:
    """Needs per class and per clearly-lagging learner.

    `estimates[learner][scenario]` are the learner's abilities on that scenario's skills;
    `class_of[learner]` their class code. A learner gets individual sessions when their lag exceeds
    their class's by `individual_margin`.
    """
    per_class: dict[tuple[str, str], list[float]] = defaultdict(list)
    learner_lags: dict[tuple[str, str], float] = {}
    for learner, scenarios in estimates.items():
        for scenario, abilities in scenarios.items():
            value = lag(abilities)
            learner_lags[learner, scenario] = value
            if learner in class_of:
                per_class[class_of[learner], scenario].append(value)
    needs = [
        Need(f"class:{code}", scenario, sum(values) / len(values))
        for (code, scenario), values in sorted(per_class.items())
    ]
    class_lag = {(n.party.removeprefix("class:"), n.scenario): n.lag for n in needs}
    for (learner, scenario), value in sorted(learner_lags.items()):
        baseline = class_lag.get((class_of.get(learner, ""), scenario), 0.0)
        if learner not in class_of or value >= baseline + individual_margin:
            needs.append(Need(f"learner:{learner}", scenario, value))
    return needs


def requests_from_needs(
    needs: Sequence[Need],
    class_of: Mapping[str, str],
    *,
    base_sessions: int = 1,
    max_extra: int = 3,
    class_slots: int = 4,
    learner_slots: int = 2,
) -> list[SessionRequest]:
    """Session requests: `base_sessions` required per class and scenario, plus up to `max_extra`
    optional ones per need, their count ∝ lag and weight lag·100/(j+1) (diminishing returns).

    A class session's parties include its members who also have individual sessions, so no learner
    is booked twice at once.
    """
    members_with_sessions: dict[str, set[str]] = defaultdict(set)
    for need in needs:
        if need.party.startswith("learner:"):
            learner = need.party.removeprefix("learner:")
            if learner in class_of:
                members_with_sessions[f"class:{class_of[learner]}"].add(need.party)
    requests = []
    for need in needs:
        is_class = need.party.startswith("class:")
        parties = (need.party, *sorted(members_with_sessions.get(need.party, ())))
        slots = class_slots if is_class else learner_slots
        name = f"{need.party}/{need.scenario}"
        for n in range(base_sessions if is_class else 0):
            requests.append(SessionRequest(f"{name}#{n + 1}", need.scenario, slots, parties, required=True))
        for j in range(round(min(1.0, max(0.0, need.lag)) * max_extra)):
            weight = max(1, round(WEIGHT_SCALE * need.lag / (j + 1)))
            requests.append(
                SessionRequest(
                    f"{name}+{j + 1}", need.scenario, slots, parties, required=False, weight=weight
                )
            )
    return requests
