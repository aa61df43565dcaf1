"""The benchmark's bulk loader writes rows the service takes for its own.

The loader skips the API, so nothing else would notice if a loaded value drifted from the
service's form (a UUID, a timestamp, a phone key): the (e) scenarios would then measure new
people where they mean to measure a full database. So each test sends a loaded person and
checks that the service finds what the loader made, on both databases.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bench import bulk_load, people
from maxwork_leads.db import Database
from maxwork_leads.models import Contact, Lead, LeadActivity
from tests.api.helpers import ENDPOINT, post_lead
from tests.cli.helpers import count
from tests.factories import World, lead_body, make_world

TAG = "loaded"
PEOPLE = 6  # persons 0..5: leads for all, contacts for 0..3
CONTACTS = 4
# The last two numbers of the phone space, then the first four: the wrap is covered too.
PHONE_BASE = people.SPACE - 2


@pytest.fixture
def world(db: Database) -> World:
    world = make_world(db)
    owner = bulk_load.find_owner(db.settings.database_url)
    bulk_load.load(
        db.settings.database_url, owner, bulk_load.Plan(PEOPLE, CONTACTS, TAG, PHONE_BASE)
    )
    return world


def person(world: World, i: int, status: str) -> dict[str, object]:
    return lead_body(
        Public_Reference=world.listing.public_reference,
        Sender_Name=f"Bulk Person {i}",
        Sender_Email=people.email(TAG, i),
        Sender_Phone=people.phone(PHONE_BASE + i),
        Message="Written again about the same listing",
        Lead_Status=status,
    )


def loaded_lead(db: Database, i: int) -> Lead:
    with db.session_scope() as session:
        lead = session.scalar(select(Lead).where(Lead.email == people.email(TAG, i)))
        assert lead is not None
        session.expunge(lead)
        return lead


def loaded_contact_id(db: Database, i: int) -> uuid.UUID:
    with db.session_scope() as session:
        contact_id = session.scalar(select(Contact.id).where(Contact.email == people.email(TAG, i)))
        assert contact_id is not None
        return contact_id


def test_a_loaded_person_sent_again_updates_their_lead(
    client: TestClient, db: Database, world: World
) -> None:
    for i in range(PEOPLE):
        response = post_lead(client, world.caller, person(world, i, "New"))
        assert response.status_code == 200, (i, response.text)
        assert response.json()["Lead_Id"] == str(loaded_lead(db, i).id)
    assert count(db, Lead) == PEOPLE


def test_a_loaded_contacted_lead_is_linked_to_its_loaded_contact(
    client: TestClient, db: Database, world: World
) -> None:
    assert loaded_lead(db, 0).status == "Contacted"
    assert loaded_lead(db, 0).contact_id == loaded_contact_id(db, 0)
    response = post_lead(client, world.caller, person(world, 0, "Contacted"))
    assert response.status_code == 200, response.text
    assert response.json()["Contact_Id"] == str(loaded_contact_id(db, 0))


def test_a_loaded_contact_is_found_when_their_new_lead_is_contacted(
    client: TestClient, db: Database, world: World
) -> None:
    assert loaded_lead(db, 3).status == "New"
    response = post_lead(client, world.caller, person(world, 3, "Contacted"))
    assert response.status_code == 200, response.text
    assert response.json()["Contact_Id"] == str(loaded_contact_id(db, 3))
    assert count(db, Contact) == CONTACTS


def test_a_loaded_external_id_names_its_lead(
    client: TestClient, db: Database, world: World
) -> None:
    response = client.get(
        ENDPOINT,
        params={**world.caller.params(), "External_LeadId": f"{TAG}-2"},
        headers=world.caller.headers(),
    )
    assert response.status_code == 200, response.text
    assert response.json()["Lead_Id"] == str(loaded_lead(db, 2).id)


def test_loaded_leads_come_in_person_order_one_second_apart_with_their_activity(
    db: Database, world: World
) -> None:
    leads = [loaded_lead(db, i) for i in range(PEOPLE)]
    assert [lead.id.version for lead in leads] == [7] * PEOPLE
    assert sorted(lead.id for lead in leads) == [lead.id for lead in leads]
    assert [b.created_at - a.created_at for a, b in itertools.pairwise(leads)] == [
        timedelta(seconds=1)
    ] * (PEOPLE - 1)
    with db.session_scope() as session:
        activity = session.scalars(select(LeadActivity).order_by(LeadActivity.id)).all()
        assert [row.lead_id for row in activity] == [lead.id for lead in leads]
        assert [row.payload["Sender_Phone"] for row in activity] == [
            people.phone(PHONE_BASE + i) for i in range(PEOPLE)
        ]


def test_a_lead_written_after_the_load_sorts_after_the_loaded_ones(
    client: TestClient, db: Database, world: World
) -> None:
    body = lead_body(Public_Reference=world.listing.public_reference)
    created = post_lead(client, world.caller, body)
    assert created.status_code == 201, created.text
    with db.session_scope() as session:
        by_time = session.scalars(select(Lead.id).order_by(Lead.updated_at)).all()
    assert str(by_time[-1]) == created.json()["Lead_Id"]
    assert by_time[:-1] == [loaded_lead(db, i).id for i in range(PEOPLE)]
