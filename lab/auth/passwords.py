"""Password hashing with argon2id, a memory-hard KDF (argon2-cffi, RFC 9106 low-memory profile).

The hash string carries its own salt and parameters, so raising the cost later only needs
`needs_rehash` at the next successful login.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from lab.bus.text import UserError

MIN_LENGTH = 8
MAX_LENGTH = 1024  # longer inputs are refused rather than hashed (no hashing-cost amplification)
_HASHER = PasswordHasher()  # argon2id, t=3, m=64 MiB, p=4 (RFC 9106 §4 second recommendation)


class WeakPassword(UserError):
    """A new password that is too short or too long."""


def check_new_password(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(
            f"密码至少需要 {MIN_LENGTH} 个字符", f"the password needs at least {MIN_LENGTH} characters"
        )
    if len(password) > MAX_LENGTH:
        raise WeakPassword(
            f"密码不能超过 {MAX_LENGTH} 个字符", f"the password may not exceed {MAX_LENGTH} characters"
        )


def hash_password(password: str) -> str:
    check_new_password(password)
    return _HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True when `password` matches; False for a mismatch, an oversized input or a damaged hash."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _HASHER.check_needs_rehash(stored_hash)


def burn_verification_time(password: str) -> None:
    """Verify against a throw-away hash, so an unknown login costs as much as a wrong password."""
    verify_password(_dummy_hash(), password)


@cache
def _dummy_hash() -> str:
    return _HASHER.hash("shixun-no-such-user")
