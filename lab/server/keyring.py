"""The lab server's own CURVE keypair on disk, and users' and stations' public keys in the store.

Distribution: `shixun keys generate` writes a bundle for one person or station — their keypair
plus the server's PUBLIC key — and stores only their public key. The secret never enters the store;
handing the bundle over (USB stick, the school's file share) is the admin's job.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lab.bus.security import CurveKeys
from lab.bus.text import UserError
from lab.store.models import Equipment, User

SERVER_KEY_NAME = "server"


def server_key_files(keys_dir: Path) -> tuple[Path, Path]:
    return keys_dir / f"{SERVER_KEY_NAME}.key", keys_dir / f"{SERVER_KEY_NAME}.key_secret"


def create_server_keys(keys_dir: Path, force: bool = False) -> CurveKeys:
    """A new server keypair; refuses to replace one (every client bundle would stop working)."""
    public_file, _secret_file = server_key_files(keys_dir)
    if public_file.exists() and not force:
        raise UserError(
            f"服务器密钥已存在：{public_file}（替换会使所有客户端密钥包失效；确需替换请加 --force）",
            f"server key already exists: {public_file} (replacing it invalidates every client bundle; "
            "use --force to do it anyway)",
        )
    keys = CurveKeys.generate()
    keys.write(keys_dir, SERVER_KEY_NAME)
    return keys


def load_server_keys(keys_dir: Path) -> CurveKeys:
    _public_file, secret_file = server_key_files(keys_dir)
    if not secret_file.exists():
        raise UserError(
            f"没有实验室服务器密钥：{secret_file}（先运行 shixun keys server）",
            f"no lab server key: {secret_file} (run `shixun keys server` first)",
        )
    return CurveKeys.load(secret_file)


def set_public_key(
    engine: Engine, public: bytes | None, *, user: str | None = None, station: str | None = None
) -> None:
    """Store (or with None, remove) the public key of a user (by login) or a station (by name)."""
    with Session(engine) as db:
        if user is not None:
            row: User | Equipment | None = db.scalars(select(User).where(User.login == user)).one_or_none()
            missing = UserError(f"没有登录名为 {user} 的用户", f"no user with login {user}")
        else:
            row = db.scalars(select(Equipment).where(Equipment.name == station)).one_or_none()
            missing = UserError(f"没有名为 {station} 的设备", f"no equipment named {station}")
        if row is None:
            raise missing
        row.curve_public_key = public.decode("ascii") if public is not None else None
        db.commit()
