"""The PostgreSQL pool checks a connection only when it has been idle long enough to be stale."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from maxwork_leads.db import Database, engine
from maxwork_leads.leads import repository
from maxwork_leads.leads.matching import NaturalKey
from maxwork_leads.settings import Settings
from tests.factories import World, make_world

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


def test_a_statement_run_many_times_is_planned_for_the_table_as_it_has_grown(
    one_connection: Database,
) -> None:
    """A plan kept from when `leads` was empty would scan it whole once it has grown."""
    world = make_world(one_connection)
    key = NaturalKey(world.agent.id, str(world.listing.id), "+351910000001", "p1@example.com")
    for _ in range(12):  # past psycopg's prepare threshold and PostgreSQL's custom plans
        with one_connection.session_scope() as session:
            repository.open_lead_ids(session, [key])
    with one_connection.session_scope() as session:
        _grow_leads(session, world, 20_000)
    scans = text("SELECT seq_scan, idx_scan FROM pg_stat_xact_user_tables WHERE relname = 'leads'")
    with one_connection.session_scope() as session:
        seq_before, index_before = session.execute(scans).one()
        assert set(repository.open_lead_ids(session, [key])) == {key}
        seq_after, index_after = session.execute(scans).one()
    assert (seq_after - seq_before, index_after - index_before) == (0, 1)


def _grow_leads(session: Session, world: World, count: int) -> None:
    """`count` open leads of distinct people for the world's agent, `p1@example.com` first."""
    session.execute(
        text(
            """
            INSERT INTO leads (id, agency_id, agent_id, listing_id, listing_key,
                public_reference, credential_id, status, stage, routing_reason, sender_name,
                email, phone_raw, phone_key, message, last_fingerprint, enquired_at,
                created_at, updated_at, change_seq)
            SELECT gen_random_uuid(), :agency, :agent, :listing, :listing_key, :reference,
                (SELECT id FROM credentials WHERE username = :username), 'New', 'Lead',
                'listing_agent', 'P', 'p' || g || '@example.com', '91',
                '+35191' || lpad(g::text, 7, '0'), 'm', 'f', now(), now(), now(), g
            FROM generate_series(1, :count) AS g
            """
        ),
        {
            "agency": world.agency.id,
            "agent": world.agent.id,
            "listing": world.listing.id,
            "listing_key": str(world.listing.id),
            "reference": world.listing.public_reference,
            "username": world.caller.username,
            "count": count,
        },
    )
