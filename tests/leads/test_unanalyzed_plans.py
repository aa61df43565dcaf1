"""A batch's look-ups by email stay index probes on a PostgreSQL table never analyzed.

A new database, or one whose autovacuum is off or has not come round yet, has no
statistics: the planner then guesses how many rows a condition matches, and for
`email = ANY(<500 emails>)` it guessed 40 % of the table and read it whole, for every
batch, ever slower as the table grew.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import select

from maxwork_leads.db import Database
from maxwork_leads.db.migrate import upgrade
from maxwork_leads.ids import new_id
from maxwork_leads.leads import repository
from maxwork_leads.leads.matching import NaturalKey
from maxwork_leads.models import Credential
from maxwork_leads.settings import Settings
from tests.factories import contact_row, make_world
from tests.leads.test_repository import a_lead

pytestmark = pytest.mark.postgres

LEADS = 3000
EMAILS = 500


@pytest.fixture
def new_database(postgresql_url: str) -> Iterator[Database]:
    """A database of its own, migrated and never analyzed."""
    base, _, name = postgresql_url.rpartition("/")
    url = f"{base}/{name}_new"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}_new" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}_new"')
    settings = Settings(database_url=url)
    upgrade(settings)
    database = Database(settings)
    yield database
    database.dispose()
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}_new" WITH (FORCE)')


def _plan(database: Database, statement: Any, params: dict[str, list[Any]]) -> str:
    """EXPLAIN of the statement as the service runs it: its connection's settings, and
    its array parameters."""
    with database.engine.connect() as conn:
        sql = str(statement.compile(dialect=conn.dialect))
        rows = conn.exec_driver_sql(f"EXPLAIN {sql}", params).all()
    return "\n".join(row[0] for row in rows)


def _contact_rows(world: Any, emails: list[str]) -> dict[str, list[Any]]:
    """The array parameters of `repository.find_or_insert_contacts` for these people."""
    rows = [contact_row(world.agent.id, email) for email in emails]
    return {key: [row[key] for row in rows] for key in rows[0]}


def test_a_batch_of_emails_is_looked_up_through_the_identity_indexes(
    new_database: Database,
) -> None:
    world = make_world(new_database)
    with new_database.session_scope() as session:
        credential_id = session.scalars(select(Credential.id)).one()
    leads = [
        a_lead(world, credential_id, id=new_id(), email=f"p{i}@example.com") for i in range(LEADS)
    ]
    with new_database.session_scope() as session:
        assert len(repository.insert_leads(session, leads)) == LEADS
    with new_database.engine.connect() as conn:
        analyzed = conn.exec_driver_sql(
            "SELECT count(*) FROM pg_stats WHERE tablename IN ('leads', 'contacts')"
        ).scalar()
    assert analyzed == 0, "the premise: no statistics on these tables yet"
    emails = [f"p{i}@example.com" for i in range(0, 2 * EMAILS, 2)]

    by_email = {"emails": emails}
    open_leads = _plan(new_database, repository._OPEN_LEAD_KEYS["postgresql"], by_email)
    contacts = _plan(new_database, repository._CONTACT_IDS["postgresql"], by_email)
    archived = _plan(new_database, repository._ARCHIVED_LEAD_KEYS["postgresql"], by_email)
    found_or_inserted = _plan(
        new_database,
        repository._FIND_OR_INSERT_CONTACTS.statement,
        _contact_rows(world, emails),
    )

    assert "Seq Scan" not in open_leads, open_leads
    assert "uq_leads_open_natural_key" in open_leads, open_leads
    assert "Seq Scan" not in contacts, contacts
    assert "uq_contacts_identity" in contacts, contacts
    assert "Seq Scan" not in found_or_inserted, found_or_inserted
    assert "uq_contacts_identity" in found_or_inserted, found_or_inserted
    assert "Seq Scan" not in archived, archived
    assert "ix_leads_archived_natural_key" in archived, archived


def test_statements_run_often_are_never_kept_prepared(new_database: Database) -> None:
    """A statement prepared on the server may be run with a plan PostgreSQL keeps,
    made for the tables as they were then: a plan from when `leads` was nearly empty
    read it whole once it had grown. The service leaves nothing prepared, so every
    statement is planned for its parameters and the tables as they are."""
    world = make_world(new_database)
    keys = [NaturalKey(world.agent.id, str(world.listing.id), "+351912345678", "p@example.com")]
    with new_database.session_scope() as session:
        for _ in range(20):  # well past psycopg's default threshold for preparing (5)
            assert repository.open_lead_ids(session, keys) == {}
        prepared = session.connection().exec_driver_sql(
            "SELECT count(*) FROM pg_prepared_statements"
        )
        assert prepared.scalar() == 0


def test_the_service_never_compiles_a_statement_to_machine_code(new_database: Database) -> None:
    """JIT starts on estimated cost, which a table without statistics inflates: the
    look-up above, 3 ms of index probes, was estimated expensive enough to compile."""
    with new_database.engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW jit").scalar() == "off"


def test_foreign_key_checks_keep_their_plans(new_database: Database) -> None:
    """PostgreSQL checks each foreign key of each row written with a statement it plans
    once and keeps, unless `plan_cache_mode` forces a new plan every time: that made the
    four checks of a batch's 500 leads take 80 ms instead of 19. The service's own
    statements are planned each time anyway, since it never prepares them."""
    with new_database.engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW plan_cache_mode").scalar() == "auto"
