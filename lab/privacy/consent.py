"""Consent rules (pure): who may give which consent, and whether one is in force at an instant.

Separate consents for live video to mentors and for storing clips (PIPL Art. 29 单独同意); a learner
under 14 needs their guardian's consent (Art. 31); a withdrawn consent stops counting from the
instant of withdrawal (shared/reference/bus_booking_privacy.md §3.3 "Consent"). Training never
depends on consent: without it the station works on keypoints only.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from lab.bus.text import UserError
from lab.store.models import ConsentGiver, ConsentKind


class ConsentError(UserError):
    """A consent that may not be recorded this way (e.g. an under-14 consenting alone)."""


class ConsentRecord(Protocol):
    """What the rules read from a consent (`lab.store.models.Consent` fits)."""

    kind: ConsentKind
    granted_by: ConsentGiver
    granted_at: datetime
    withdrawn_at: datetime | None


def check_giver(under_14: bool, giver: ConsentGiver, giver_is_the_learner: bool) -> None:
    """Under-14s need a guardian (PIPL Art. 31); a learner cannot record a guardian's consent."""
    if under_14 and giver is not ConsentGiver.GUARDIAN:
        raise ConsentError(
            "未满 14 周岁的学员需要监护人同意（个人信息保护法第 31 条）",
            "a learner under 14 needs a guardian's consent (PIPL Art. 31)",
        )
    if giver_is_the_learner and giver is ConsentGiver.GUARDIAN:
        raise ConsentError(
            "监护人同意须由教师或管理员依据书面同意登记",
            "a guardian's consent is recorded by an instructor or admin from the signed form",
        )


def in_force(records: Iterable[ConsentRecord], kind: ConsentKind, under_14: bool, now: datetime) -> bool:
    """Is a valid consent of `kind` granted at or before `now` and not withdrawn by `now`?"""
    for record in records:
        if record.kind != kind or record.granted_at > now:
            continue
        if record.withdrawn_at is not None and record.withdrawn_at <= now:
            continue
        if under_14 and record.granted_by != ConsentGiver.GUARDIAN:
            continue  # recorded before the learner was known to be under 14: not valid for them
        return True
    return False
