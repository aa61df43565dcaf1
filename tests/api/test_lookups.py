"""Reading leads back by our ID and by the integrator's ID, never another integrator's."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from maxwork_leads.db import Database
from maxwork_leads.models import Credential
from tests.api.helpers import error_code, post_lead
from tests.factories import Caller, World, lead_body, make_credential


def body_for(world: World, **overrides: object) -> dict[str, object]:
    return lead_body(**{"Public_Reference": world.listing.public_reference, **overrides})


def get(client: TestClient, caller: Caller, path: str, **params: str) -> object:
    return client.get(path, params={**caller.params(), **params}, headers=caller.headers())


def test_a_lead_is_found_by_its_id_with_contact_and_qualification(
    client: TestClient, world: World
) -> None:
    sent = post_lead(
        client, world.caller, body_for(world, Lead_Status="Contacted", Price_Max=300000)
    ).json()
    response = get(client, world.caller, f"/listingexport/leads/{sent['Lead_Id']}")
    assert response.status_code == 200
    lead = response.json()
    for field in ("Lead_Id", "Lead_Status", "Stage", "Contact_Id", "Qualification_Id", "Agent"):
        assert lead[field] == sent[field]
    assert lead["Contact"]["Phone"] == "+351912345678"
    assert lead["Qualification"]["Price_Max"] == 300000
    assert lead["Sender_Email"] == "ana.silva@example.com"


def test_a_lead_is_found_by_the_external_id(client: TestClient, world: World) -> None:
    sent = post_lead(client, world.caller, body_for(world, External_LeadId="crm-1")).json()
    response = get(client, world.caller, "/listingexport/leads", External_LeadId="crm-1")
    assert response.status_code == 200
    assert response.json()["Lead_Id"] == sent["Lead_Id"]
    assert response.json()["External_LeadId"] == "crm-1"


@pytest.mark.parametrize("lead_id", ["01900000-0000-7000-8000-000000000000", "not-an-id"])
def test_an_unknown_lead_id_is_a_404(client: TestClient, world: World, lead_id: str) -> None:
    response = get(client, world.caller, f"/listingexport/leads/{lead_id}")
    assert response.status_code == 404
    assert error_code(response) == "not_found"


def test_an_unknown_external_id_is_a_404(client: TestClient, world: World) -> None:
    response = get(client, world.caller, "/listingexport/leads", External_LeadId="nope")
    assert response.status_code == 404


def test_another_integrators_lead_is_a_404(client: TestClient, db: Database, world: World) -> None:
    sent = post_lead(client, world.caller, body_for(world, External_LeadId="crm-2")).json()
    other = make_credential(db, agency=world.agency)
    assert get(client, other, f"/listingexport/leads/{sent['Lead_Id']}").status_code == 404
    response = get(client, other, "/listingexport/leads", External_LeadId="crm-2")
    assert response.status_code == 404


def test_an_integrator_that_touched_a_lead_can_read_it(
    client: TestClient, db: Database, world: World
) -> None:
    sent = post_lead(client, world.caller, body_for(world)).json()
    other = make_credential(db, agency=world.agency)
    post_lead(client, other, body_for(world, Lead_Status="Contacted"))
    assert get(client, other, f"/listingexport/leads/{sent['Lead_Id']}").status_code == 200


def test_lookups_need_credentials(client: TestClient, world: World) -> None:
    sent = post_lead(client, world.caller, body_for(world)).json()
    assert client.get(f"/listingexport/leads/{sent['Lead_Id']}").status_code == 401


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_read_answers_while_another_process_holds_the_sqlite_write_lock(
    client: TestClient, db: Database, world: World
) -> None:
    """A read takes no write lock: with the writer busy it still answers, from the last
    committed state (it used to wait for the lock, up to the busy timeout)."""
    sent = post_lead(client, world.caller, body_for(world)).json()
    writer = sqlite3.connect(str(db.engine.url.database), timeout=0, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        response = get(client, world.caller, f"/listingexport/leads/{sent['Lead_Id']}")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert response.status_code == 200, response.text
    assert response.json()["Lead_Id"] == sent["Lead_Id"]


def test_a_read_records_the_credentials_use_once_it_is_due(
    client: TestClient, db: Database, world: World
) -> None:
    """Reads run without writing; the use they make of a credential is recorded after."""
    sent = post_lead(client, world.caller, body_for(world)).json()
    mine = Credential.username == world.caller.username
    with db.session_scope() as session:
        credential_id = session.scalar(select(Credential.id).where(mine))
        session.execute(update(Credential).where(mine).values(last_used_at=None))
    cache = client.app.state.services.database.directory_cache  # type: ignore[attr-defined]
    cache.recorded(credential_id, datetime(2000, 1, 1, tzinfo=UTC))  # long ago: due again
    response = get(client, world.caller, f"/listingexport/leads/{sent['Lead_Id']}")
    assert response.status_code == 200
    with db.session_scope() as session:
        assert session.scalar(select(Credential.last_used_at).where(mine)) is not None
