"""Password hashing for operator accounts: argon2id with the library's current parameters."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()


@cache
def _decoy() -> str:
    """Verified against when the username is unknown, so that an unknown name costs as much
    time as a wrong password and the answer's timing tells nothing. Made on first use: hashing
    is slow on purpose, and most processes (every CLI command) never need it."""
    return _hasher.hash("decoy password that no operator has")


MIN_LENGTH = 10
MAX_LENGTH = 200


def check_strength(password: str) -> str | None:
    """Why the password is unacceptable, or None."""
    if len(password) < MIN_LENGTH:
        return f"the password must have at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"the password must have at most {MAX_LENGTH} characters"
    if "\x00" in password:
        return "the password must not contain NUL characters"
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; with no hash, spends the same time and returns False."""
    try:
        return _hasher.verify(password_hash or _decoy(), password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
