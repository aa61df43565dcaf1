"""Issuing and checking integrator credentials."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from maxwork_leads.credentials import repository, tokens
from maxwork_leads.db.engine import after_commit
from maxwork_leads.directory.cache import DirectoryCache, cache_of
from maxwork_leads.directory.service import require_agency
from maxwork_leads.errors import InvalidInput, Unauthorized
from maxwork_leads.models import Credential
from maxwork_leads.models.base import utcnow

LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedCredential:
    credential: Credential
    token: str


def _check_rate(rate_limit: float | None) -> float | None:
    if rate_limit is not None and not 0 <= rate_limit <= 1_000_000:
        raise InvalidInput("rate limit must be between 0 (unlimited) and 1000000 requests/s")
    return rate_limit


def create(
    session: Session,
    *,
    username: str,
    agency_id: str | uuid.UUID | None = None,
    rate_limit: float | None = None,
) -> IssuedCredential:
    """A new credential; its token is returned here once and only its hash is stored."""
    username = username.strip()
    if not username or len(username) > 100 or "\x00" in username:
        raise InvalidInput("username must be 1 to 100 characters")
    if repository.by_username(session, username) is not None:
        raise InvalidInput(f"a credential for {username!r} already exists")
    agency = require_agency(session, agency_id) if agency_id is not None else None
    token = tokens.generate_token()
    credential = Credential(
        username=username,
        token_hash=tokens.hash_token(token),
        agency_id=agency.id if agency else None,
        rate_limit=_check_rate(rate_limit),
    )
    session.add(credential)
    session.flush()
    return IssuedCredential(credential, token)


def _require(session: Session, username: str) -> Credential:
    username = username.strip()
    credential = repository.by_username(session, username)
    if credential is None:
        raise InvalidInput(f"no credential for {username!r}")
    return credential


def revoke(session: Session, *, username: str) -> Credential:
    credential = _require(session, username)
    if credential.revoked_at is None:
        credential.revoked_at = utcnow()
        session.flush()
    return credential


def update(
    session: Session, *, username: str, rate_limit: float | None, clear_rate_limit: bool = False
) -> Credential:
    """Set a credential's own rate limit (0 = unlimited), or go back to the service's."""
    credential = _require(session, username)
    credential.rate_limit = None if clear_rate_limit else _check_rate(rate_limit)
    session.flush()
    return credential


def rotate(session: Session, *, username: str) -> IssuedCredential:
    """A new token for the same integrator; the old one stops working at once.

    A revoked credential becomes active again with the new token.
    """
    credential = _require(session, username)
    token = tokens.generate_token()
    credential.token_hash = tokens.hash_token(token)
    credential.rotated_at = utcnow()
    credential.revoked_at = None
    session.flush()
    return IssuedCredential(credential, token)


def list_all(session: Session) -> list[Credential]:
    return repository.all_credentials(session)


def authenticate(
    session: Session, *, username: str | None, token: str | None, record_use: bool = True
) -> Credential:
    """The live credential that `username` names and `token` proves, or Unauthorized.

    Every failure gives the same message, so a caller cannot tell which part was wrong.
    `record_use=False` for a transaction that must not write: the caller then records
    the use itself (`use_unrecorded`, `record_use`).
    """
    failure = Unauthorized("missing or invalid token or user")
    if not username or not token:
        raise failure
    cache = cache_of(session)
    credential = _by_username(session, username, cache)
    if credential is None:
        tokens.token_matches(token, "0" * 64)
        raise failure
    if not tokens.token_matches(token, credential.token_hash) or credential.revoked_at:
        raise failure
    if record_use:
        _record_use(session, credential, cache)
    return credential


def remember(session: Session, username: str) -> None:
    """Read a credential into the process's cache, for `likely_valid`; nothing checked.

    For a server process whose writes are authenticated elsewhere (its write process),
    and which would otherwise never have read the credentials it sees.
    """
    _by_username(session, username, cache_of(session))


def _by_username(
    session: Session, username: str, cache: DirectoryCache | None
) -> Credential | None:
    if cache is None:
        return repository.by_username(session, username)
    return cache.get(
        session, ("credential", username), lambda: repository.by_username(session, username)
    )


def likely_valid(cache: DirectoryCache, *, username: str | None, token: str | None) -> bool:
    """Whether the claims prove a live credential as this process last read it.

    A guess without a transaction, for work worth starting before `authenticate` runs
    (validating a large batch elsewhere); never instead of it. Claims for a credential
    this process has not read yet answer False.
    """
    if not username or not token:
        return False
    credential = cache.last_read(("credential", username))
    return (
        isinstance(credential, Credential)
        and credential.revoked_at is None
        and tokens.token_matches(token, credential.token_hash)
    )


def use_unrecorded(credential: Credential, cache: DirectoryCache | None) -> bool:
    """Whether `last_used_at` is due a write (LAST_USED_RESOLUTION) after this use.

    A remembered credential keeps the `last_used_at` it was read with, so the process
    asks its own memory of committed records instead.
    """
    stale = utcnow() - LAST_USED_RESOLUTION
    if cache is None:
        return credential.last_used_at is None or credential.last_used_at < stale
    return not cache.recorded_since(credential.id, stale)


def record_use(session: Session, credential: Credential) -> None:
    """Record a use that `authenticate(record_use=False)` left out."""
    _record_use(session, credential, cache_of(session))


def _record_use(session: Session, credential: Credential, cache: DirectoryCache | None) -> None:
    """Keep `last_used_at` true to LAST_USED_RESOLUTION, without a write on every request."""
    if not use_unrecorded(credential, cache):
        return
    now = utcnow()
    repository.touch(session, credential.id, now, now - LAST_USED_RESOLUTION)
    if cache is not None:
        after_commit(session, lambda: cache.recorded(credential.id, now))
