"""Which agent a lead is routed to, and why."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from maxwork_leads.db import Database
from maxwork_leads.models import Lead, User
from tests.api.helpers import error_code, error_fields, post_lead
from tests.factories import World, lead_body, make_credential, make_user, make_world


def routed(db: Database) -> tuple[str, str]:
    with db.session_scope() as session:
        lead = session.scalars(select(Lead)).one()
        return lead.routing_reason, session.get(User, lead.agent_id).username  # type: ignore[union-attr]


def test_the_listing_agent_gets_the_lead(client: TestClient, db: Database, world: World) -> None:
    body = lead_body(Public_Reference=world.listing.public_reference)
    assert post_lead(client, world.caller, body).status_code == 201
    assert routed(db) == ("listing_agent", world.agent.username)


def test_internal_user_id_routes_to_that_user(
    client: TestClient, db: Database, world: World
) -> None:
    colleague = make_user(db, agency=world.agency)
    body = lead_body(
        Public_Reference=world.listing.public_reference, Internal_UserId=str(colleague.id)
    )
    response = post_lead(client, world.caller, body)
    assert response.json()["Agent"]["Username"] == colleague.username
    assert routed(db) == ("internal_user", colleague.username)


def test_internal_user_id_of_another_agency_is_a_422(
    client: TestClient, db: Database, world: World
) -> None:
    stranger = make_world(db).agent
    body = lead_body(
        Public_Reference=world.listing.public_reference, Internal_UserId=str(stranger.id)
    )
    response = post_lead(client, world.caller, body)
    assert response.status_code == 422
    assert error_code(response) == "unknown_user"
    assert error_fields(response) == ["Internal_UserId"]


def test_an_unknown_internal_user_id_is_a_422(client: TestClient, world: World) -> None:
    body = lead_body(
        Public_Reference=world.listing.public_reference,
        Internal_UserId="01900000-0000-7000-8000-000000000000",
    )
    response = post_lead(client, world.caller, body)
    assert response.status_code == 422
    assert error_code(response) == "unknown_user"


def test_a_manual_lead_goes_to_the_lead_manager(
    client: TestClient, db: Database, world: World
) -> None:
    response = post_lead(client, world.caller, lead_body(Public_Reference="None"))
    assert response.status_code == 201
    assert response.json()["Public_Reference"] == "None"
    assert routed(db) == ("lead_manager", world.manager.username)


def test_an_inactive_listing_agent_hands_over_to_the_lead_manager(
    client: TestClient, db: Database, world: World
) -> None:
    with db.session_scope() as session:
        session.get(User, world.agent.id).active = False  # type: ignore[union-attr]
    post_lead(client, world.caller, lead_body(Public_Reference=world.listing.public_reference))
    assert routed(db) == ("lead_manager", world.manager.username)


def test_no_one_to_route_to_is_a_422(client: TestClient, db: Database, world: World) -> None:
    with db.session_scope() as session:
        for user in session.scalars(select(User)):
            user.active = False
    response = post_lead(client, world.caller, lead_body(Public_Reference="None"))
    assert response.status_code == 422
    assert error_code(response) == "no_agent_available"


def test_a_portal_wide_manual_lead_needs_internal_user_id(
    client: TestClient, db: Database, world: World
) -> None:
    portal = make_credential(db)
    response = post_lead(client, portal, lead_body(Public_Reference="None"))
    assert response.status_code == 422
    assert error_fields(response) == ["Internal_UserId"]


def test_a_portal_wide_manual_lead_with_internal_user_id_is_routed(
    client: TestClient, db: Database, world: World
) -> None:
    portal = make_credential(db)
    body = lead_body(Public_Reference="None", Internal_UserId=str(world.agent.id))
    assert post_lead(client, portal, body).status_code == 201
    assert routed(db) == ("internal_user", world.agent.username)
