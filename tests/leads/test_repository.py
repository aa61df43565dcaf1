"""The database backstops behind the locks: a lost insert race is an answer, not an error."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, or_, select

from maxwork_leads.db import Database
from maxwork_leads.ids import new_id
from maxwork_leads.leads import repository
from maxwork_leads.leads.matching import ContactKey, NaturalKey
from maxwork_leads.models import Contact, Credential, Lead
from maxwork_leads.models.base import utcnow
from maxwork_leads.models.leads import by_email
from maxwork_leads.settings import Settings
from tests.factories import contact_row, make_world


def a_lead(world, credential_id, **overrides) -> Lead:  # type: ignore[no-untyped-def]
    values = dict(
        id=new_id(),
        agency_id=world.agency.id,
        agent_id=world.agent.id,
        listing_id=world.listing.id,
        listing_key=str(world.listing.id),
        public_reference=world.listing.public_reference,
        credential_id=credential_id,
        status="New",
        stage="Lead",
        routing_reason="listing_agent",
        sender_name="Ana",
        email="ana@example.com",
        phone_raw="912345678",
        phone_key="+351912345678",
        message="hi",
        last_fingerprint="x",
        change_seq=1,
    )
    values.update(overrides)
    return Lead(**values)


def test_a_second_open_lead_for_the_same_person_is_refused_quietly(db: Database) -> None:
    world = make_world(db)
    with db.session_scope() as session:
        credential_id = session.scalars(select(Credential.id)).one()
        assert repository.insert_lead(session, a_lead(world, credential_id)) is True
        assert repository.insert_lead(session, a_lead(world, credential_id)) is False
        archived = a_lead(world, credential_id, status="Archived")
        assert repository.insert_lead(session, archived) is True
        assert session.scalar(select(func.count()).select_from(Lead)) == 2


def test_a_second_lead_with_the_same_external_id_is_refused_quietly(db: Database) -> None:
    world = make_world(db)
    with db.session_scope() as session:
        credential_id = session.scalars(select(Credential.id)).one()
        first = a_lead(world, credential_id, external_id="E-1", status="Archived")
        other_person = a_lead(world, credential_id, external_id="E-1", email="b@example.com")
        assert repository.insert_lead(session, first) is True
        assert repository.insert_lead(session, other_person) is False


def test_leads_written_together_keep_every_value_and_skip_the_refused_ones(db: Database) -> None:
    """One INSERT for many leads (on PostgreSQL from one array per column): NULLs, times and
    IDs come back as sent, and a row a unique index refuses is left out of the answer."""
    world = make_world(db)
    now = utcnow()
    with db.session_scope() as session:
        credential_id = session.scalars(select(Credential.id)).one()
        taken = a_lead(world, credential_id, email="taken@example.com")
        assert repository.insert_lead(session, taken) is True
        sent = [
            a_lead(world, credential_id, email="a@example.com", external_id="E-1", enquired_at=now),
            a_lead(world, credential_id, email="b@example.com", listing_id=None, message=""),
            a_lead(world, credential_id, email="taken@example.com"),
        ]
        written = repository.insert_leads(session, sent)
        assert written == {sent[0].id, sent[1].id}
    with db.session_scope() as session:
        first = session.get(Lead, sent[0].id)
        second = session.get(Lead, sent[1].id)
        assert first is not None and second is not None
        assert (first.external_id, first.enquired_at, first.contact_id) == ("E-1", now, None)
        assert (second.listing_id, second.message, second.external_id) == (None, "", None)
        assert first.change_seq is not None and first.created_at is not None


def test_the_natural_key_look_ups_tell_open_from_archived_leads(db: Database) -> None:
    world = make_world(db)
    with db.session_scope() as session:
        credential_id = session.scalars(select(Credential.id)).one()
        old = a_lead(world, credential_id, status="Archived", created_at=utcnow())
        open_one = a_lead(world, credential_id)
        assert repository.insert_lead(session, old) and repository.insert_lead(session, open_one)
        key = NaturalKey(world.agent.id, str(world.listing.id), "+351912345678", "ana@example.com")
        assert repository.open_lead(session, key).id == open_one.id  # type: ignore[union-attr]
        assert repository.latest_archived_lead(session, key).id == old.id  # type: ignore[union-attr]
        assert set(repository.open_lead_ids(session, [key])) == {key}


def test_the_natural_key_look_ups_search_their_partial_indexes(sqlite_url: str) -> None:
    """The predicates must be the indexes' own text: with a bound value SQLite cannot
    use a partial index, and a new lead would need a full one kept beside it."""
    database = Database(Settings(database_url=sqlite_url))
    plans = {}
    with database.engine.connect() as conn:
        for name, statement in (
            ("open", repository._OPEN_LEAD),
            ("archived", repository._LATEST_ARCHIVED),
        ):
            sql = str(statement.compile(dialect=conn.dialect))
            count = sql.count("?")
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", tuple(["x"] * count))
            plans[name] = " ".join(row[-1] for row in rows)
    database.dispose()
    assert "USING INDEX uq_leads_open_natural_key" in plans["open"]
    assert "USING INDEX ix_leads_archived_natural_key" in plans["archived"]


def test_a_group_looks_up_open_and_archived_leads_through_their_partial_indexes(
    sqlite_url: str,
) -> None:
    """SQLite, like PostgreSQL (`test_unanalyzed_plans`), must serve a group's look-ups
    by email from the partial indexes, not by reading every lead."""
    database = Database(Settings(database_url=sqlite_url))
    plans = {}
    with database.engine.connect() as conn:
        for name, statements in (
            ("open", repository._OPEN_LEAD_KEYS),
            ("archived", repository._ARCHIVED_LEAD_KEYS),
        ):
            statement = statements["sqlite"].params(emails=["a@example.com", "b@example.com"])
            sql = statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")
            plans[name] = " ".join(row[-1] for row in rows)
    database.dispose()
    assert "USING INDEX uq_leads_open_natural_key (email=?)" in plans["open"], plans
    assert "USING INDEX ix_leads_archived_natural_key (email=?)" in plans["archived"], plans


def test_a_search_by_email_finds_open_and_archived_leads(db: Database) -> None:
    world = make_world(db)
    with db.session_scope() as session:
        credential_id = session.scalars(select(Credential.id)).one()
        old = a_lead(world, credential_id, status="Archived")
        open_one = a_lead(world, credential_id, status="Contacted")
        other = a_lead(world, credential_id, email="bea@example.com")
        for lead in (old, open_one, other):
            assert repository.insert_lead(session, lead)
        found = session.scalars(select(Lead.id).where(by_email(Lead.email == "ana@example.com")))
        assert set(found) == {old.id, open_one.id}


def _plan(database: Database, statement: Select[Any]) -> str:
    """The plan the database would choose were every table large (no full scans)."""
    with database.engine.connect() as conn:
        sql = statement.compile(conn, compile_kwargs={"literal_binds": True})
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")
            rows = conn.exec_driver_sql(f"EXPLAIN {sql}").all()
        else:
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all()
    return " ".join(str(row[-1]) for row in rows)


def test_look_ups_by_email_go_through_the_identity_indexes(db: Database) -> None:
    """No index holds the email alone: the identity indexes lead with it and must serve
    every look-up by email, else each one would read the whole table."""
    search = by_email(Lead.email == "ana@example.com")
    erasure = or_(by_email(Lead.email.in_(["ana@example.com"])), Lead.phone_key.in_(["+1"]))
    contacts = _plan(db, select(Contact.id).where(Contact.email == "ana@example.com"))
    assert "uq_contacts_identity" in contacts
    for leads in (_plan(db, select(Lead.id).where(search)), _plan(db, select(Lead).where(erasure))):
        assert "uq_leads_open_natural_key" in leads and "ix_leads_archived_natural_key" in leads
        assert "Seq Scan" not in leads + contacts and "SCAN leads" not in leads


def test_contacts_written_together_keep_their_profiles_and_skip_the_refused_ones(
    db: Database,
) -> None:
    """One INSERT for many contacts (on PostgreSQL from one array per column): a search
    profile is stored as a JSON object, a missing one as SQL NULL, and a row the unique
    index refuses is left out of the answer."""
    world = make_world(db)

    def contact(email: str, profile: dict[str, Any] | None) -> dict[str, Any]:
        return contact_row(world.agent.id, email, search_profile=profile)

    with db.session_scope() as session:
        taken = contact("taken@example.com", None)
        assert repository.insert_contact_rows(session, [taken]) == {taken["id"]}
    profiled = contact("a@example.com", {"price_max": 250000, "rooms": [2, 3]})
    plain = contact("b@example.com", None)
    with db.session_scope() as session:
        sent = [profiled, plain, contact("taken@example.com", {"x": 1})]
        assert repository.insert_contact_rows(session, sent) == {profiled["id"], plain["id"]}
    with db.session_scope() as session:
        stored = session.get(Contact, profiled["id"])
        assert stored is not None and stored.search_profile == profiled["search_profile"]
        nulls = select(Contact.id).where(Contact.search_profile.is_(None))
        assert set(session.scalars(nulls)) == {taken["id"], plain["id"]}


def test_contacts_are_found_or_inserted_together(db: Database) -> None:
    """One call for people with and without a contact: the known ones are found, by key,
    and left as they were; only the others are written."""
    world = make_world(db)

    def contact(email: str, name: str) -> dict[str, Any]:
        return contact_row(world.agent.id, email, name=name)

    known = contact("known@example.com", "Ana")
    with db.session_scope() as session:
        assert repository.insert_contact_rows(session, [known]) == {known["id"]}
    again = contact("known@example.com", "Ana Maria")
    stranger = contact("new@example.com", "Rui")
    with db.session_scope() as session:
        existing, written = repository.find_or_insert_contacts(session, [again, stranger])
    assert existing == {
        ContactKey(world.agent.id, "+351912345678", "known@example.com"): known["id"]
    }
    assert written == {stranger["id"]}
    with db.session_scope() as session:
        names = {
            email: name for email, name in session.execute(select(Contact.email, Contact.name))
        }
    assert names == {"known@example.com": "Ana", "new@example.com": "Rui"}
