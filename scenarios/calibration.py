"""The spec's difficulty-model calibration, taken from a measured success surface of the scene.

`benchmarks/adaptive_surface.py` runs the autopilot over the parameter space and fits, per skill, the
pass threshold on the sub-score and the LLTM of `scenarios.difficulty` (shared/reference/adaptive.md
§3.1). This module fixes the ability scale of that fit and writes the result into a spec's TOML text,
so the numbers live in one place (the spec) and are rewritten, never copied by hand.
"""

from __future__ import annotations

import re

import numpy as np

# θ of an operator who drives like `autopilot:SKILL`: θ = 0 is autopilot 0.5, θ = 3 is autopilot 1.0.
# The spec's slopes, intercepts and weights (and the learner prior N(0, 1)) are on this scale.
THETA_SCALE = 6.0
SKILL_FIELDS = ("pass_score", "slope", "intercept")


def theta_of(skill: np.ndarray | float) -> np.ndarray | float:
    """Ability θ of the autopilot at SKILL (0..1)."""
    return THETA_SCALE * (np.asarray(skill) - 0.5)


def spec_calibration(surface: dict) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """(per skill pass_score/slope/intercept, per parameter {skill: weight > 0}), rounded to 2 decimals."""
    model = surface["model"]
    skills = {
        skill: {
            "pass_score": round(surface["skill_pass"][skill], 2),
            "slope": round(model["slope"][k], 2),
            "intercept": round(model["intercept"][k], 2),
        }
        for k, skill in enumerate(model["skills"])
    }
    weights = {
        param: {s: round(model["weights"][k][j], 2) for k, s in enumerate(model["skills"])}
        for j, param in enumerate(model["params"])
    }
    return skills, {p: {s: w for s, w in ws.items() if w > 0} for p, ws in weights.items()}


def calibrated_spec(text: str, surface: dict) -> tuple[str, list[str]]:
    """The spec text with the surface's calibration written in, and the lines written.

    Line-based so that comments and layout survive: in each `[[skills]]` table the calibration keys
    are replaced (or added after its last line), in each `[parameters.NAME]` table the `difficulty`
    line is replaced. Every skill and parameter of the surface must be found.
    """
    skills, weights = spec_calibration(surface)
    blocks = re.split(r"(?m)^(?=\[)", text)
    written: list[str] = []
    missing = set(skills) | set(weights)
    for i, block in enumerate(blocks):
        header = block.split("\n", 1)[0].strip()
        if header == "[[skills]]":
            skill = re.search(r'(?m)^id\s*=\s*"([^"]+)"', block)
            if skill is None or skill[1] not in skills:
                continue
            lines = [f"{key} = {skills[skill[1]][key]:g}" for key in SKILL_FIELDS]
            kept = re.sub(rf"(?m)^({'|'.join(SKILL_FIELDS)})\s*=.*\n", "", block).split("\n")
            last = max(n for n, line in enumerate(kept) if line.strip() and not line.startswith("#"))
            blocks[i] = "\n".join(kept[: last + 1] + lines + kept[last + 1 :])
            written += [f"[[skills]] {skill[1]}: {', '.join(lines)}"]
            missing.discard(skill[1])
        elif (param := re.fullmatch(r"\[parameters\.(\w+)\]", header)) and param[1] in weights:
            inline = ", ".join(f"{s} = {w:g}" for s, w in weights[param[1]].items())
            line = f"difficulty = {{ {inline} }}" if inline else "difficulty = {}"
            blocks[i], found = re.subn(r"(?m)^difficulty\s*=.*$", line, block)
            if found != 1:
                raise ValueError(f"{header}: expected one difficulty line, found {found}")
            written.append(f"{header} {line}")
            missing.discard(param[1])
    if missing:
        raise ValueError(f"not in the spec: {', '.join(sorted(missing))}")
    return "".join(blocks), written
