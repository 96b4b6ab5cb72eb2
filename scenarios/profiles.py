"""Practice profiles: how hard the generator pushes, chosen from the pooled progress of a scenario's learners.

The generator always focuses one skill and keeps the others within a range; which success level
teaches fastest is an open question (shared/reference/adaptive.md §2: Wilson et al. 2019 predict
~85 %, Math Garden uses 75 %, per-skill targeting near 50 % won under the peak-at-.5 hypothesis of
§4.5, and Moeyaert et al. 2016 found no difference). So instead of betting on one answer the
product carries two profiles and lets the school's own data choose, ZPDES-style (§0, §6: a
learning-progress bandit):

- `consolidate` (the default band 0.70–0.85 for the focus skill, the others kept comfortable at
  0.85–0.95 — the Eighty-Five Percent Rule);
- `stretch` (every skill near 55–65 % predicted pass — the challenge point of the peak-at-.5
  hypothesis, where the oracle of our harness learned fastest).

Evidence = learning progress: the mean increase per attempt of a learner's ability estimates while
practising under a profile, pooled over learners. Each profile's share of learners is the
probability that it is the faster one (probability matching, i.e. Thompson sampling with a normal
posterior), floored so that the other one keeps being tried; a learner's profile is sticky (drawn
once from a hash of their code) so that progress segments are long enough to measure.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lab.bus.text import Text
from scenarios.overrides import DEFAULT_BAND

BURN_IN = 3  # first attempts of a segment: the estimate settles from the prior, not learning
MIN_SEGMENT = 3  # attempts after the burn-in before a segment counts as evidence
MIN_LEARNERS = 5  # per profile, before a difference is believed
SHARE_FLOOR = 0.02  # the losing profile is still tried by 2 % of learners (it may win later)


@dataclass(frozen=True)
class Profile:
    id: str
    title: Text
    band: tuple[float, float]  # the focus skill's predicted pass (unless an instructor sets a band)
    others: tuple[float, float]  # every other skill's predicted pass is kept in this range


CONSOLIDATE = Profile("consolidate", Text("巩固", "consolidate"), DEFAULT_BAND, (0.85, 0.95))
STRETCH = Profile("stretch", Text("拓展", "stretch"), (0.55, 0.65), (0.55, 0.65))
PROFILES = {p.id: p for p in (CONSOLIDATE, STRETCH)}
DEFAULT_SHARES = {CONSOLIDATE.id: 0.5, STRETCH.id: 0.5}  # no evidence yet: explore both equally


@dataclass(frozen=True)
class Evidence:
    """What the pooled attempts say about the profiles."""

    learners: dict[str, int]  # learners with a measurable segment, per profile
    progress: dict[str, float]  # mean ability gain per attempt, per profile (NaN without learners)
    shares: dict[str, float]  # probability that each profile is the faster one, floored

    def to_dict(self) -> dict:
        return {
            "learners": self.learners,
            "progress": {k: None if math.isnan(v) else round(v, 4) for k, v in self.progress.items()},
            "shares": {k: round(v, 4) for k, v in self.shares.items()},
        }

    @classmethod
    def from_dict(cls, data: dict | None) -> Evidence:
        if not data:
            return NO_EVIDENCE
        progress = {k: math.nan if v is None else float(v) for k, v in data["progress"].items()}
        return cls(dict(data["learners"]), progress, {k: float(v) for k, v in data["shares"].items()})


NO_EVIDENCE = Evidence({p: 0 for p in PROFILES}, {p: math.nan for p in PROFILES}, DEFAULT_SHARES)


def segments(
    learner: Sequence[int], profile: Sequence[str | None], ability: np.ndarray
) -> list[tuple[str, list[float]]]:
    """Split pooled attempts (each learner's in order) into runs of one learner under one profile.

    `ability` is the (N, K) estimate before each attempt; a run's series is its mean over skills.
    Attempts without a profile (stored before profiles existed, or repeats) end a run.
    """
    runs: list[tuple[str, list[float]]] = []
    current: tuple[int, str] | None = None
    for who, name, theta in zip(learner, profile, ability, strict=True):
        if name is None:
            current = None
            continue
        if current != (who, name):
            runs.append((name, []))
            current = (who, name)
        runs[-1][1].append(float(np.mean(theta)))
    return runs


def segment_progress(abilities: Sequence[float]) -> float | None:
    """Ability gain per attempt over one learner's run of attempts under one profile (None: too short)."""
    if len(abilities) < BURN_IN + MIN_SEGMENT:
        return None
    settled = abilities[BURN_IN:]
    return (settled[-1] - settled[0]) / (len(settled) - 1)


def weigh(segments: Sequence[tuple[str, Sequence[float]]]) -> Evidence:
    """Evidence from (profile, mean ability before each attempt) segments, one per learner and profile run."""
    rates: dict[str, list[float]] = {p: [] for p in PROFILES}
    for profile, abilities in segments:
        rate = segment_progress(abilities)
        if rate is not None and profile in rates:
            rates[profile].append(rate)
    learners = {p: len(r) for p, r in rates.items()}
    progress = {p: float(np.mean(r)) if r else math.nan for p, r in rates.items()}
    if min(learners.values()) < MIN_LEARNERS:
        return Evidence(learners, progress, DEFAULT_SHARES)
    a, b = (np.asarray(rates[p]) for p in (STRETCH.id, CONSOLIDATE.id))
    spread = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b)) or 1e-9
    stretch_faster = 0.5 * math.erfc(-(a.mean() - b.mean()) / spread / math.sqrt(2))  # Φ(z)
    share = min(max(stretch_faster, SHARE_FLOOR), 1 - SHARE_FLOOR)
    return Evidence(learners, progress, {STRETCH.id: share, CONSOLIDATE.id: 1 - share})


def assign(shares: dict[str, float], learner_key: str) -> Profile:
    """A learner's profile: sticky (a fixed uniform draw from their key) and following the shares."""
    digest = hashlib.sha256(learner_key.encode("utf-8")).digest()
    draw = int.from_bytes(digest[:8], "big") / 2**64
    return STRETCH if draw < shares.get(STRETCH.id, 0.0) else CONSOLIDATE


@dataclass(frozen=True)
class Choice:
    """The profile of one attempt and why (the explanation shows it)."""

    profile: Profile
    source: str  # "instructor", "evidence" (pooled progress decided) or "exploring" (not enough yet)
    evidence: Evidence = NO_EVIDENCE


DEFAULT_CHOICE = Choice(CONSOLIDATE, "exploring")


def choose(evidence: Evidence, learner_key: str, instructor_profile: str | None = None) -> Choice:
    """The instructor's profile if set, else the learner's sticky draw from the evidence's shares."""
    if instructor_profile is not None:
        return Choice(PROFILES[instructor_profile], "instructor", evidence)
    source = "exploring" if evidence.shares == DEFAULT_SHARES else "evidence"
    return Choice(assign(evidence.shares, learner_key), source, evidence)
