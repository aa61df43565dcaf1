"""Operator accounts in the database: lock-out counted by the database, sessions that end."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import select, update

from maxwork_leads.db import Database
from maxwork_leads.models import Operator, OperatorSession
from maxwork_leads.models.base import utcnow
from maxwork_leads.operators import service as operators

PASSWORD = "correct horse battery"


def _attempt(db: Database, password: str) -> bool:
    with db.session_scope() as session:
        return (
            operators.sign_in(session, db.settings, username="ops", password=password) is not None
        )


def test_concurrent_failures_each_count_towards_the_lock(db: Database) -> None:
    with db.session_scope() as session:
        operators.add(session, username="ops", password=PASSWORD)
    attempts = db.settings.console_max_failed_logins
    with ThreadPoolExecutor(attempts) as pool:
        results = list(pool.map(lambda _: _attempt(db, "wrong password"), range(attempts)))
    assert results == [False] * attempts
    assert _attempt(db, PASSWORD) is False
    with db.session_scope() as session:
        locked_until = session.scalars(select(Operator.locked_until)).one()
    assert locked_until is not None and locked_until > utcnow()


def test_the_lock_ends_after_its_time(db: Database) -> None:
    with db.session_scope() as session:
        operators.add(session, username="ops", password=PASSWORD)
        session.execute(update(Operator).values(locked_until=utcnow() - timedelta(seconds=1)))
    assert _attempt(db, PASSWORD) is True


def test_an_expired_session_no_longer_opens_the_console(db: Database) -> None:
    with db.session_scope() as session:
        operators.add(session, username="ops", password=PASSWORD)
        signed_in = operators.sign_in(session, db.settings, username="ops", password=PASSWORD)
    assert signed_in is not None
    with db.session_scope() as session:
        assert operators.active_session(session, signed_in.token) is not None
        session.execute(update(OperatorSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    with db.session_scope() as session:
        assert operators.active_session(session, signed_in.token) is None


def test_only_a_digest_of_the_session_token_is_stored(db: Database) -> None:
    with db.session_scope() as session:
        operators.add(session, username="ops", password=PASSWORD)
        signed_in = operators.sign_in(session, db.settings, username="ops", password=PASSWORD)
    assert signed_in is not None
    with db.session_scope() as session:
        stored = session.scalars(select(OperatorSession.token_hash)).one()
    assert signed_in.token not in stored
    assert len(stored) == 64
