"""Who may enter the admin app: accounts the permission matrix lets view equipment. Every edit is then
checked and audited under that account (AdminContext.edit)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from lab.auth.permissions import Action, Actor, Resource, decide
from lab.bus.text import Text, UserError
from lab.store.types import utc_now

TITLE = Text("实训 · 实验室管理 登录", "Shixun lab admin · log in")


def admit(session: Session, actor: Actor) -> None:
    """For `station_app.views.login.LoginDialog`: refuse, saying why, anyone who may not view equipment."""
    decision = decide(actor, Action.VIEW, Resource.EQUIPMENT, None, utc_now())
    if not decision:
        raise UserError(decision.reason.zh, decision.reason.en)
