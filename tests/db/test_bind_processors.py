"""Values bind the same however often one is bound: the conversions that remember their
last value (`remember_last`) never answer for another."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Uuid
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from maxwork_leads.db.rows import bind_processor
from maxwork_leads.models.base import UtcDateTime

LISBON_SUMMER = timezone(timedelta(hours=1))


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.psycopg.dialect()])
def test_a_timestamp_bound_again_converts_as_a_fresh_one_does(dialect: Dialect) -> None:
    now = datetime.now(UTC)
    later = now + timedelta(microseconds=1)
    same_instant_elsewhere = later.astimezone(LISBON_SUMMER)
    naive = datetime(2026, 7, 1, 12, 30)
    values = [now, now, later, None, same_instant_elsewhere, later, naive, naive, now]
    shared = bind_processor(UtcDateTime(), dialect)
    assert shared is not None
    for value in values:
        fresh = bind_processor(UtcDateTime(), dialect)
        assert fresh is not None
        assert shared(value) == fresh(value)
    assert shared(same_instant_elsewhere) == shared(later)


def test_a_uuid_bound_again_converts_as_a_fresh_one_does() -> None:
    """On SQLite, where a UUID becomes text (psycopg takes UUIDs as they are)."""
    agent, lead = uuid.uuid4(), uuid.uuid4()
    equal_copy = uuid.UUID(str(agent))
    values = [agent, agent, lead, None, agent, equal_copy, lead, lead]
    shared = bind_processor(Uuid(), sqlite.dialect())
    assert shared is not None
    for value in values:
        fresh = bind_processor(Uuid(), sqlite.dialect())
        assert fresh is not None
        assert shared(value) == fresh(value)
