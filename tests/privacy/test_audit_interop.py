"""Every writer of the audit log must keep the one hash chain verifiable (lab.audit.chain)."""

from __future__ import annotations

from privacy_world import World
from sqlalchemy import select

from lab.audit import chain
from lab.store.attempts import save_overrides
from lab.store.models import Learner
from scenarios.overrides import Overrides
from scenarios.paramspace import Space
from scenarios.spec import catalog


def test_saved_overrides_keep_the_chain_verifiable(world: World) -> None:
    space = Space(next(iter(catalog().values())))
    with world.sessions.begin() as db:
        chain.append(db, "instructor:teacher", "view:history", "learner:L001")
        assert db.scalar(select(Learner.id).where(Learner.code == world.learner_code))
        save_overrides(db, space, Overrides(), "instructor:teacher", learner_code=world.learner_code)
        chain.append(db, "instructor:teacher", "view:history", "learner:L001")
    with world.sessions() as db:
        assert chain.verify(db).ok
