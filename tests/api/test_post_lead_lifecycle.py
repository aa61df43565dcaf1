"""What each status does to leads and contacts, through the HTTP API, on both databases."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from maxwork_leads.db import Database
from maxwork_leads.models import Contact, Lead, LeadActivity, Qualification
from tests.api.helpers import post_lead
from tests.factories import World, lead_body, make_listing, make_user


def body_for(world: World, **overrides: object) -> dict[str, object]:
    return lead_body(**{"Public_Reference": world.listing.public_reference, **overrides})


def count(db: Database, model: type) -> int:
    with db.session_scope() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_new_creates_a_lead(client: TestClient, world: World) -> None:
    response = post_lead(client, world.caller, body_for(world))
    assert response.status_code == 201
    body = response.json()
    assert body["Operation"] == "created"
    assert body["Lead_Status"] == "New"
    assert body["Stage"] == "Lead"
    assert body["Contact_Id"] is None
    assert body["Agent"] == {"Id": str(world.agent.id), "Username": world.agent.username}
    assert body["Public_Reference"] == world.listing.public_reference


def test_the_same_new_request_again_is_unchanged(
    client: TestClient, db: Database, world: World
) -> None:
    first = post_lead(client, world.caller, body_for(world)).json()
    again = post_lead(client, world.caller, body_for(world))
    assert again.status_code == 200
    assert again.json()["Operation"] == "unchanged"
    assert again.json()["Lead_Id"] == first["Lead_Id"]
    assert count(db, Lead) == 1
    assert count(db, LeadActivity) == 1


def test_a_repeat_enquiry_updates_the_open_lead(
    client: TestClient, db: Database, world: World
) -> None:
    first = post_lead(client, world.caller, body_for(world)).json()
    repeat = post_lead(client, world.caller, body_for(world, Message="Can I visit on Monday?"))
    assert repeat.status_code == 200
    assert repeat.json()["Operation"] == "updated"
    assert repeat.json()["Lead_Id"] == first["Lead_Id"]
    assert count(db, Lead) == 1
    with db.session_scope() as session:
        messages = session.scalars(select(LeadActivity.message).order_by(LeadActivity.id))
        assert list(messages) == ["Is it still available?", "Can I visit on Monday?"]


def test_contacted_creates_the_contact(client: TestClient, db: Database, world: World) -> None:
    response = post_lead(client, world.caller, body_for(world, Lead_Status="Contacted"))
    assert response.status_code == 201
    body = response.json()
    assert body["Lead_Status"] == "Contacted"
    assert body["Contact_Operation"] == "created"
    assert body["Contact_Id"] is not None
    assert count(db, Contact) == 1


def test_contacted_on_an_open_lead_moves_it_and_creates_the_contact(
    client: TestClient, world: World
) -> None:
    created = post_lead(client, world.caller, body_for(world)).json()
    contacted = post_lead(client, world.caller, body_for(world, Lead_Status="Contacted"))
    assert contacted.status_code == 200
    assert contacted.json()["Lead_Id"] == created["Lead_Id"]
    assert contacted.json()["Lead_Status"] == "Contacted"
    assert contacted.json()["Contact_Operation"] == "created"


def test_a_second_lead_from_the_same_person_reuses_the_contact(
    client: TestClient, db: Database, world: World
) -> None:
    second_listing = make_listing(db, agency=world.agency, agent=world.agent)
    first = post_lead(client, world.caller, body_for(world, Lead_Status="Contacted")).json()
    second = post_lead(
        client,
        world.caller,
        body_for(world, Lead_Status="Contacted", Public_Reference=second_listing.public_reference),
    ).json()
    assert second["Lead_Id"] != first["Lead_Id"]
    assert second["Contact_Operation"] == "matched"
    assert second["Contact_Id"] == first["Contact_Id"]
    assert count(db, Contact) == 1


def test_the_same_person_on_another_agents_listing_gets_another_contact(
    client: TestClient, db: Database, world: World
) -> None:
    other_agent = make_user(db, agency=world.agency)
    other_listing = make_listing(db, agency=world.agency, agent=other_agent)
    first = post_lead(client, world.caller, body_for(world, Lead_Status="Contacted")).json()
    second = post_lead(
        client,
        world.caller,
        body_for(world, Lead_Status="Contacted", Public_Reference=other_listing.public_reference),
    ).json()
    assert second["Contact_Operation"] == "created"
    assert second["Contact_Id"] != first["Contact_Id"]
    assert count(db, Contact) == 2


def test_phone_and_email_spellings_meet_in_one_contact(
    client: TestClient, db: Database, world: World
) -> None:
    spellings = [
        ("912 345 678", "Ana.Silva@Example.com"),
        ("+351912345678", "ANA.SILVA@EXAMPLE.COM"),
        ("00351 912-345-678", " ana.silva@example.com "),
    ]
    contact_ids = set()
    lead_ids = set()
    for phone, email in spellings:
        body = body_for(world, Lead_Status="Contacted", Sender_Phone=phone, Sender_Email=email)
        result = post_lead(client, world.caller, body).json()
        contact_ids.add(result["Contact_Id"])
        lead_ids.add(result["Lead_Id"])
    assert len(contact_ids) == 1
    assert len(lead_ids) == 1
    assert count(db, Contact) == 1


def test_an_unparseable_phone_is_kept_with_a_warning(client: TestClient, world: World) -> None:
    response = post_lead(client, world.caller, body_for(world, Sender_Phone="555-0100 99"))
    assert response.status_code == 201
    assert any("digits only" in warning for warning in response.json()["Warnings"])


def test_archived_closes_the_lead(client: TestClient, db: Database, world: World) -> None:
    created = post_lead(client, world.caller, body_for(world)).json()
    archived = post_lead(client, world.caller, body_for(world, Lead_Status="Archived"))
    assert archived.status_code == 200
    assert archived.json()["Lead_Id"] == created["Lead_Id"]
    assert archived.json()["Lead_Status"] == "Archived"


def test_a_new_enquiry_after_archiving_opens_a_new_lead(
    client: TestClient, db: Database, world: World
) -> None:
    first = post_lead(client, world.caller, body_for(world)).json()
    post_lead(client, world.caller, body_for(world, Lead_Status="Archived"))
    reopened = post_lead(client, world.caller, body_for(world))
    assert reopened.status_code == 201
    assert reopened.json()["Lead_Id"] != first["Lead_Id"]
    assert count(db, Lead) == 2


def test_archiving_an_unknown_lead_creates_it_archived_once(
    client: TestClient, db: Database, world: World
) -> None:
    first = post_lead(client, world.caller, body_for(world, Lead_Status="Archived"))
    again = post_lead(client, world.caller, body_for(world, Lead_Status="Archived"))
    assert first.status_code == 201
    assert first.json()["Lead_Status"] == "Archived"
    assert again.json()["Operation"] == "unchanged"
    assert count(db, Lead) == 1


def test_status_never_moves_backwards(client: TestClient, world: World) -> None:
    post_lead(client, world.caller, body_for(world, Lead_Status="Contacted"))
    response = post_lead(client, world.caller, body_for(world, Lead_Status="New", Message="Hi?"))
    assert response.status_code == 200
    assert response.json()["Lead_Status"] == "Contacted"
    assert any("never moves backwards" in w for w in response.json()["Warnings"])


def test_qualification_fields_set_the_stage_and_are_stored(
    client: TestClient, db: Database, world: World
) -> None:
    body = body_for(
        world,
        Price_Min=150000,
        Price_Max=250000,
        Room_Min=2,
        LeadType_Id=1,
        Business_TypeId="rent",
        PropertyType_Id="Apartment",
        Listing_Attributes=[1, "Balcony", 1],
    )
    response = post_lead(client, world.caller, body)
    assert response.status_code == 201
    assert response.json()["Stage"] == "Qualification"
    assert response.json()["Qualification_Id"] is not None
    from maxwork_leads.models import Qualification

    with db.session_scope() as session:
        stored = session.scalars(select(Qualification)).one()
        assert (stored.price_min, stored.price_max, stored.room_min) == (150000, 250000, 2)
        assert (stored.lead_type, stored.business_type) == ("Buyer", "Rent")
        assert stored.property_type == "Apartment"
        assert stored.attributes == ["Lift", "Balcony"]


def test_partial_qualification_updates_keep_the_other_fields(
    client: TestClient, db: Database, world: World
) -> None:
    from maxwork_leads.models import Qualification

    post_lead(client, world.caller, body_for(world, Price_Min=100000, Room_Min=2))
    response = post_lead(client, world.caller, body_for(world, Price_Max=300000))
    assert response.status_code == 200
    with db.session_scope() as session:
        stored = session.scalars(select(Qualification)).one()
        assert (stored.price_min, stored.price_max, stored.room_min) == (100000, 300000, 2)


def test_a_partial_update_that_inverts_a_range_is_a_422(client: TestClient, world: World) -> None:
    post_lead(client, world.caller, body_for(world, Price_Min=200000))
    response = post_lead(client, world.caller, body_for(world, Price_Max=100000))
    assert response.status_code == 422
    assert response.json()["Error"]["Fields"][0]["Field"] == "Price_Max"


def test_the_contact_search_profile_follows_the_qualification(
    client: TestClient, db: Database, world: World
) -> None:
    post_lead(client, world.caller, body_for(world, Lead_Status="Contacted"))
    post_lead(client, world.caller, body_for(world, Lead_Status="Contacted", Room_Min=3))
    with db.session_scope() as session:
        contact = session.scalars(select(Contact)).one()
        assert contact.search_profile == {"room_min": 3}


def test_a_contact_created_by_a_qualified_lead_gets_its_search_profile_at_once(
    client: TestClient, db: Database, world: World
) -> None:
    post_lead(client, world.caller, body_for(world, Lead_Status="Contacted", Room_Min=3))
    with db.session_scope() as session:
        contact = session.scalars(select(Contact)).one()
        assert contact.search_profile == {"room_min": 3}


def test_a_contact_created_without_qualification_has_no_search_profile_in_sql(
    client: TestClient, db: Database, world: World
) -> None:
    """SQL NULL, not the JSON text 'null': queries for contacts without one must find it."""
    post_lead(client, world.caller, body_for(world, Lead_Status="Contacted"))
    with db.session_scope() as session:
        assert session.scalars(select(Contact).where(Contact.search_profile.is_(None))).one()


def test_a_new_qualification_keeps_the_fields_not_sent_null_in_sql(
    client: TestClient, db: Database, world: World
) -> None:
    post_lead(client, world.caller, body_for(world, Room_Min=3))
    with db.session_scope() as session:
        qualification = session.scalars(
            select(Qualification).where(
                Qualification.attributes.is_(None), Qualification.price_min.is_(None)
            )
        ).one()
        assert qualification.room_min == 3


def test_external_lead_id_finds_the_lead_even_when_the_person_changes_details(
    client: TestClient, db: Database, world: World
) -> None:
    first = post_lead(client, world.caller, body_for(world, External_LeadId="crm-77")).json()
    update = post_lead(
        client,
        world.caller,
        body_for(world, External_LeadId="crm-77", Sender_Phone="+351 913 000 111"),
    )
    assert update.json()["Lead_Id"] == first["Lead_Id"]
    assert update.json()["External_LeadId"] == "crm-77"
    assert count(db, Lead) == 1


def test_created_at_back_fills_the_enquiry_time(
    client: TestClient, db: Database, world: World
) -> None:
    post_lead(client, world.caller, body_for(world, Created_At="2024-03-01T10:00:00+01:00"))
    with db.session_scope() as session:
        lead = session.scalars(select(Lead)).one()
        assert lead.enquired_at.isoformat() == "2024-03-01T09:00:00+00:00"
