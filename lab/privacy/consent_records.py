"""Recording, withdrawing and reading consents in the store (rules in `lab.privacy.consent`).

Withdrawal takes effect at once: the matrix stops allowing live video from that instant (the relay
and the station re-check; see `live_video_allowed`), and stored clips of a learner without
clip consent are deleted by the next purge whatever the clip retention period (PIPL Art. 47).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from lab.auth.access import learner_subject, require
from lab.auth.permissions import Action, Actor, Resource
from lab.privacy.consent import ConsentError, check_giver, in_force
from lab.store.models import Consent, ConsentGiver, ConsentKind, Learner


@dataclass(frozen=True)
class ConsentStatus:
    learner_code: str
    under_14: bool
    live_video: bool
    store_clips: bool

    def to_dict(self) -> dict[str, object]:
        return {
            "learner": self.learner_code,
            "under_14": self.under_14,
            "live_video": self.live_video,
            "store_clips": self.store_clips,
        }


def status(learner: Learner, now: datetime) -> ConsentStatus:
    return ConsentStatus(
        learner.code,
        learner.under_14,
        in_force(learner.consents, ConsentKind.LIVE_VIDEO, learner.under_14, now),
        in_force(learner.consents, ConsentKind.STORE_CLIPS, learner.under_14, now),
    )


def show(db: Session, actor: Actor, learner: Learner, now: datetime) -> ConsentStatus:
    subject = learner_subject(db, learner, now)
    require(db, actor, Action.VIEW, Resource.CONSENT, subject, f"learner:{learner.code}", now)
    return status(learner, now)


def grant(
    db: Session, actor: Actor, learner: Learner, kind: ConsentKind, giver: ConsentGiver, now: datetime
) -> Consent:
    subject = learner_subject(db, learner, now)
    detail = {"kind": kind.value, "by": giver.value}
    require(db, actor, Action.EDIT, Resource.CONSENT, subject, f"learner:{learner.code}", now, detail)
    check_giver(learner.under_14, giver, giver_is_the_learner=learner.user_id == actor.user_id)
    if in_force(learner.consents, kind, learner.under_14, now):
        raise ConsentError("该同意已经有效", "this consent is already in force")
    consent = Consent(
        learner=learner, kind=kind, granted_by=giver, recorded_by_id=actor.user_id, granted_at=now
    )
    db.add(consent)
    db.flush()
    return consent


def withdraw(db: Session, actor: Actor, learner: Learner, kind: ConsentKind, now: datetime) -> int:
    """Withdraw every grant of `kind` still in force; returns how many. Always allowed to the learner."""
    subject = learner_subject(db, learner, now)
    require(
        db,
        actor,
        Action.EDIT,
        Resource.CONSENT,
        subject,
        f"learner:{learner.code}",
        now,
        {"withdraw": kind.value},
    )
    withdrawn = 0
    for consent in learner.consents:
        if consent.kind == kind and (consent.withdrawn_at is None or consent.withdrawn_at > now):
            consent.withdrawn_at = now
            withdrawn += 1
    if not withdrawn:
        raise ConsentError("没有可撤回的有效同意", "there is no consent in force to withdraw")
    db.flush()
    return withdrawn


def live_video_allowed(learner: Learner, now: datetime) -> bool:
    """May the station capture video for anyone but the learner? (Keypoints never need this.)"""
    return in_force(learner.consents, ConsentKind.LIVE_VIDEO, learner.under_14, now)


def clip_storage_allowed(learner: Learner, now: datetime) -> bool:
    """May the station keep clips of this learner on disk? Without it: keypoints only."""
    return in_force(learner.consents, ConsentKind.STORE_CLIPS, learner.under_14, now)
