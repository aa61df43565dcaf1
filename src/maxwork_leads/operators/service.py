"""Operator accounts and console sign-in: passwords, lock-out and sessions.

Counters and locks live in the database and change with single UPDATE statements, so the
lock-out holds when sign-ins for one account hit several server processes at once.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from maxwork_leads.errors import InvalidInput
from maxwork_leads.models import Operator, OperatorSession
from maxwork_leads.models.base import utcnow
from maxwork_leads.operators import passwords
from maxwork_leads.settings import Settings


@dataclass(frozen=True)
class ActiveSession:
    session_id: uuid.UUID
    operator_id: uuid.UUID
    username: str
    csrf_token: str


@dataclass(frozen=True)
class SignedIn:
    session: ActiveSession
    token: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _clean_username(username: str) -> str:
    username = username.strip()
    if not username or len(username) > 100 or "\x00" in username:
        raise InvalidInput("username must be 1 to 100 characters")
    return username


def _require_strong(password: str) -> None:
    problem = passwords.check_strength(password)
    if problem:
        raise InvalidInput(problem)


def by_username(session: Session, username: str) -> Operator | None:
    return session.scalars(select(Operator).where(Operator.username == username)).one_or_none()


def add(session: Session, *, username: str, password: str) -> Operator:
    username = _clean_username(username)
    _require_strong(password)
    if by_username(session, username) is not None:
        raise InvalidInput(f"an operator named {username!r} already exists")
    operator = Operator(username=username, password_hash=passwords.hash_password(password))
    session.add(operator)
    session.flush()
    return operator


def _require(session: Session, username: str) -> Operator:
    operator = by_username(session, username.strip())
    if operator is None:
        raise InvalidInput(f"no operator named {username!r}")
    return operator


def set_password(session: Session, *, username: str, password: str) -> Operator:
    """A new password; it unlocks the account and signs out every browser of it."""
    operator = _require(session, username)
    _require_strong(password)
    operator.password_hash = passwords.hash_password(password)
    operator.failed_logins = 0
    operator.locked_until = None
    session.execute(delete(OperatorSession).where(OperatorSession.operator_id == operator.id))
    session.flush()
    return operator


def unlock(session: Session, *, username: str) -> Operator:
    operator = _require(session, username)
    operator.failed_logins = 0
    operator.locked_until = None
    session.flush()
    return operator


def remove(session: Session, *, username: str) -> None:
    operator = _require(session, username)
    session.execute(delete(OperatorSession).where(OperatorSession.operator_id == operator.id))
    session.delete(operator)
    session.flush()


def list_all(session: Session) -> list[Operator]:
    return list(session.scalars(select(Operator).order_by(Operator.username)))


def _record_failure(
    session: Session, operator: Operator, settings: Settings, now: datetime
) -> None:
    # One statement: concurrent failures each count, and the one that reaches the limit locks.
    failures = session.execute(
        update(Operator)
        .where(Operator.id == operator.id)
        .values(failed_logins=Operator.failed_logins + 1)
        .returning(Operator.failed_logins)
    ).scalar_one()
    if failures >= settings.console_max_failed_logins:
        session.execute(
            update(Operator)
            .where(Operator.id == operator.id)
            .values(
                failed_logins=0,
                locked_until=now + timedelta(minutes=settings.console_lockout_minutes),
            )
        )


def sign_in(
    session: Session,
    settings: Settings,
    *,
    username: str,
    password: str,
    user_agent: str | None = None,
) -> SignedIn | None:
    """A new session for the operator, or None for a wrong username, a wrong password or a
    locked account alike. The caller commits either way, so that failures are counted.
    """
    now = utcnow()
    operator = by_username(session, username.strip()) if username else None
    locked = operator is not None and operator.locked_until is not None
    locked = locked and operator.locked_until > now  # type: ignore[union-attr,operator]
    matches = passwords.verify(operator.password_hash if operator else None, password)
    if operator is None:
        return None
    if locked or not matches:
        if not locked:
            _record_failure(session, operator, settings, now)
        return None
    if passwords.needs_rehash(operator.password_hash):
        operator.password_hash = passwords.hash_password(password)
    operator.failed_logins = 0
    operator.locked_until = None
    operator.last_login_at = now
    return open_session(session, settings, operator, user_agent)


def open_session(
    session: Session, settings: Settings, operator: Operator, user_agent: str | None = None
) -> SignedIn:
    """A new session for an operator whose password was just checked."""
    now = utcnow()
    session.execute(delete(OperatorSession).where(OperatorSession.expires_at < now))
    token = secrets.token_urlsafe(32)
    row = OperatorSession(
        token_hash=_digest(token),
        operator_id=operator.id,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=now + timedelta(hours=settings.console_session_hours),
        user_agent=(user_agent or "")[:500] or None,
    )
    session.add(row)
    session.flush()
    active = ActiveSession(row.id, operator.id, operator.username, row.csrf_token)
    return SignedIn(active, token)


def active_session(session: Session, token: str | None) -> ActiveSession | None:
    """The live session a cookie names, or None (unknown, expired or signed out)."""
    if not token or len(token) > 100:
        return None
    row = session.execute(
        select(OperatorSession, Operator.username)
        .join(Operator, Operator.id == OperatorSession.operator_id)
        .where(OperatorSession.token_hash == _digest(token))
    ).one_or_none()
    if row is None:
        return None
    found, username = row
    if found.expires_at <= utcnow():
        return None
    return ActiveSession(found.id, found.operator_id, username, found.csrf_token)


def sign_out(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(OperatorSession).where(OperatorSession.token_hash == _digest(token)))
