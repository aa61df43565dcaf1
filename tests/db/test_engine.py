"""The PostgreSQL pool checks a connection only when it has been idle long enough to be stale."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from maxwork_leads.db import Database, engine
from maxwork_leads.settings import Settings

pytestmark = pytest.mark.postgres


def pooled_backend(database: Database) -> int:
    """Use the pool once; the server process behind the connection it keeps."""
    with database.session_scope() as session:
        return int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())


def terminate(url: str, pid: int) -> None:
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


@pytest.fixture
def one_connection(postgresql_url: str) -> Iterator[Database]:
    database = Database(Settings(database_url=postgresql_url, pool_size=1))
    yield database
    database.dispose()


def test_an_idle_connection_the_server_closed_is_replaced_before_use(
    one_connection: Database, postgresql_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "IDLE_BEFORE_PING", 0.0)
    terminate(postgresql_url, pooled_backend(one_connection))
    assert pooled_backend(one_connection) > 0


def test_a_connection_back_within_the_idle_time_is_used_without_a_check(
    one_connection: Database, postgresql_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No round trip on a busy pool: the price is that a connection closed under load fails."""
    monkeypatch.setattr(engine, "IDLE_BEFORE_PING", 3600.0)
    terminate(postgresql_url, pooled_backend(one_connection))
    with pytest.raises(OperationalError):
        pooled_backend(one_connection)
