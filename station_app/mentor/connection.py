"""Who the mentor is: a key bundle for the lab server (live sessions), a lab account for the store
(recorded sessions), or both — and then they must be the same person.

A key bundle is the folder `shixun keys generate` writes: `<name>.key_secret` (their keypair) and
`server.key` (the lab server's public key, so the server is authenticated too).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import zmq
from sqlalchemy.orm import Session

from lab.auth.permissions import Action, Actor, Resource, Scope, scope_of
from lab.bus.security import CurveClient, CurveKeys
from lab.bus.text import UserError
from lab.bus.topics import user_zap_id
from lab.bus.viewer_link import ViewerEndpoints, ViewerLink
from lab.store.models import Role

VIEWER_SCOPES = (Scope.INVITED, Scope.CLASS)  # mentors (invited sessions) and instructors (own classes)

REQUEST_TIMEOUT_MS = 1500  # the log-in's `whoami`; the window's requests run on a worker (netclient)


def load_bundle(folder: str | Path) -> CurveClient:
    """The CURVE identity in a key bundle folder; a one-line UserError if it is not one."""
    path = Path(folder)
    secrets = sorted(p for p in path.glob("*.key_secret") if p.stem != "server") if path.is_dir() else []
    server = path / "server.key"
    if len(secrets) != 1 or not server.is_file():
        raise UserError(
            f"{path} 不是密钥包（应含一个 <名称>.key_secret 和 server.key，由 shixun keys generate 生成）",
            f"{path} is not a key bundle (expected one <name>.key_secret and server.key, "
            "as written by `shixun keys generate`)",
        )
    return CurveClient(CurveKeys.load(secrets[0]), CurveKeys.load(server).public)


def admit_role(role: str) -> None:
    """Only people who watch other people's sessions use this viewer."""
    try:
        allowed = scope_of(Role(role), Action.VIEW, Resource.LIVE_POSE) in VIEWER_SCOPES
    except ValueError:
        allowed = False
    if not allowed:
        raise UserError(
            f"角色 {role} 不能使用导师端（仅限导师和教师）",
            f"role {role} cannot use the mentor viewer (mentors and instructors only)",
        )


def admit(db: Session, actor: Actor) -> None:
    """For `station_app.views.login.LoginDialog`: mentors and instructors log in."""
    del db
    admit_role(actor.role.value)


@dataclass
class Identity:
    actor: Actor | None  # from the lab account: recorded sessions in the store
    link: ViewerLink | None  # from the key bundle: live sessions through the lab server

    def close(self) -> None:
        if self.link is not None:
            self.link.close()


def connect(
    ctx: zmq.Context, endpoints: ViewerEndpoints, bundle: str | Path, actor: Actor | None
) -> ViewerLink:
    """Reach the lab server with the bundle's key; it must belong to `actor` when one is logged in."""
    # asks `whoami`; RequestFailed if unanswered (the window's later requests go through netclient).
    link = ViewerLink(ctx, endpoints, load_bundle(bundle), timeout_ms=REQUEST_TIMEOUT_MS)
    try:
        admit_role(str(link.identity["role"]))
        if actor is not None and link.identity["user"] != user_zap_id(actor.user_id):
            raise UserError("该密钥包属于另一个账号", "this key bundle belongs to another account")
    except UserError:
        link.close()
        raise
    return link
