"""The write pipeline retries what the database undid, and records what it refused."""

from __future__ import annotations

import psycopg
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from maxwork_leads.api import pipeline
from maxwork_leads.db import Database
from maxwork_leads.integration.ratelimit import make_limiter
from maxwork_leads.models import Credential, IntegrationRequest
from maxwork_leads.models.base import utcnow
from tests.factories import World


def services(db: Database) -> pipeline.Services:
    return pipeline.Services(db.settings, db, make_limiter(0, 1, None))


def call(world: World) -> pipeline.Call:
    return pipeline.Call("leads", world.caller.username, world.caller.token, "t", None, utcnow())


def test_a_deadlock_is_retried_and_then_succeeds(db: Database, world: World) -> None:
    attempts = []

    def work(session: Session, credential: Credential) -> pipeline.Written:
        attempts.append(1)
        if len(attempts) == 1:
            raise DBAPIError("SELECT 1", None, psycopg.errors.DeadlockDetected("deadlock"))
        return pipeline.Written(pipeline.Answer(201, {"ok": True}), [])

    answer = pipeline.write(services(db), call(world), {"a": 1}, work)
    assert (answer.status, answer.body, len(attempts)) == (201, {"ok": True}, 2)


def test_an_unexpected_error_is_a_500_in_the_error_shape_and_recorded(
    db: Database, world: World
) -> None:
    def work(session: Session, credential: Credential) -> pipeline.Written:
        raise RuntimeError("boom")

    answer = pipeline.write(services(db), call(world), {"a": 1}, work)
    assert answer.status == 500
    assert answer.body["Error"]["Code"] == "internal_error"
    assert "boom" not in str(answer.body)
    with db.session_scope() as session:
        row = session.scalars(select(IntegrationRequest)).one()
        assert (row.status_code, row.error_code) == (500, "internal_error")
