"""Secret tokens: generated with the OS's randomness, stored only as a SHA-256 digest.

A token carries 256 random bits, so a fast digest is enough (no password stretching is
needed) and lets every request be checked without slowing the hot path.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_PREFIX = "mxl_"


def generate_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def token_matches(token: str, stored_hash: str) -> bool:
    """Constant-time comparison, so response timing reveals nothing about the stored hash."""
    return hmac.compare_digest(hash_token(token), stored_hash)
