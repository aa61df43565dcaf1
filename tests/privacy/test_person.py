"""A person's data: exported whole, erased everywhere, with counts and an audit record kept."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from maxwork_leads.db import Database
from maxwork_leads.models import Base, Erasure, IntegrationRequest, Lead
from tests.api.helpers import post_lead
from tests.cli.helpers import Cli
from tests.factories import World, lead_body, make_listing, make_world

EMAIL = "Maria.Santos@Example.com"
PHONE = "+351 913 222 333"


@pytest.fixture
def world(db: Database) -> World:
    return make_world(db)


def send_person(client: TestClient, db: Database, world: World) -> None:
    """Maria sends two leads (one contacted and qualified), one failed request; Ana one lead."""
    second = make_listing(db, agency=world.agency, agent=world.agent)
    maria = {"Sender_Name": "Maria Santos", "Sender_Email": EMAIL, "Sender_Phone": PHONE}
    for body in (
        lead_body(Public_Reference=world.listing.public_reference, **maria),
        lead_body(
            Public_Reference=second.public_reference,
            Lead_Status="Contacted",
            Price_Max=400000,
            External_LeadId="crm-maria",
            **maria,
        ),
        lead_body(Public_Reference="NOPE", **maria),
        lead_body(Public_Reference=world.listing.public_reference),
    ):
        post_lead(client, world.caller, body)


def all_text(db: Database) -> str:
    """Every value of every row of every table, as one string."""
    parts = []
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                parts.append(" ".join(str(v) for v in row))
    return "\n".join(parts).lower()


def test_export_holds_every_datum_about_the_person(
    cli: Cli, client: TestClient, db: Database, world: World
) -> None:
    send_person(client, db, world)
    data = json.loads(cli("person", "export", "--email", "maria.santos@example.com").stdout)
    assert len(data["leads"]) == 2
    assert {lead["sender_name"] for lead in data["leads"]} == {"Maria Santos"}
    assert len(data["contacts"]) == 1
    assert data["qualifications"][0]["price_max"] == 400000
    assert len(data["activity"]) == 2
    assert [h["status_code"] for h in data["history"]] == [201, 201, 422]
    assert "ana.silva" not in json.dumps(data)


def test_export_by_phone_finds_the_same_person(
    cli: Cli, client: TestClient, db: Database, world: World
) -> None:
    send_person(client, db, world)
    data = json.loads(cli("person", "export", "--phone", "913222333").stdout)
    assert len(data["leads"]) == 2


def test_erase_removes_the_person_everywhere_and_keeps_the_rest(
    cli: Cli, client: TestClient, db: Database, world: World
) -> None:
    send_person(client, db, world)
    with db.session_scope() as session:
        leads_before = session.scalar(select(func.count()).select_from(Lead))
        history_before = session.scalar(select(func.count()).select_from(IntegrationRequest))
    counts = cli.ok("person", "erase", "--email", EMAIL, "--yes")
    assert counts == {"leads": 2, "contacts": 1, "activity": 2, "history": 3, "qualifications": 1}
    stored = all_text(db)
    for datum in ("maria", "santos", "913222333", "913 222 333", "crm-maria"):
        assert datum not in stored, datum
    assert "ana.silva@example.com" in stored
    with db.session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Lead)) == leads_before
        assert (
            session.scalar(select(func.count()).select_from(IntegrationRequest)) == history_before
        )
        erasure = session.scalars(select(Erasure)).one()
        assert erasure.selector == "email"
        assert erasure.counts["leads"] == 2
        assert len(erasure.selector_digest) == 64


def test_after_erasure_the_person_can_send_a_new_lead(
    cli: Cli, client: TestClient, db: Database, world: World
) -> None:
    send_person(client, db, world)
    cli.ok("person", "erase", "--phone", PHONE, "--yes")
    body = lead_body(
        Public_Reference=world.listing.public_reference, Sender_Email=EMAIL, Sender_Phone=PHONE
    )
    assert post_lead(client, world.caller, body).status_code == 201


def test_erase_needs_exactly_one_selector(cli: Cli) -> None:
    assert "exactly one" in cli.fails("person", "erase", "--yes")
    assert "exactly one" in cli.fails(
        "person", "erase", "--email", EMAIL, "--phone", PHONE, "--yes"
    )


def test_erase_asks_for_confirmation(
    cli: Cli, client: TestClient, db: Database, world: World
) -> None:
    send_person(client, db, world)
    result = cli("person", "erase", "--email", EMAIL)
    assert result.code == 1
    assert "maria.santos@example.com" in all_text(db)


def test_the_erasure_audit_never_names_the_person(
    cli: Cli, client: TestClient, db: Database, world: World
) -> None:
    send_person(client, db, world)
    cli.ok("person", "erase", "--email", EMAIL, "--yes")
    with db.engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM erasures")).one()
    assert "maria" not in " ".join(str(v) for v in row).lower()
