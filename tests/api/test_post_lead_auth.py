"""Who may send leads: credentials, their owner and their agency scope."""

from __future__ import annotations

from fastapi.testclient import TestClient

from maxwork_leads.credentials import service as credentials
from maxwork_leads.db import Database
from tests.api.helpers import ENDPOINT, error_code, post_lead
from tests.factories import Caller, World, lead_body, make_credential, make_world


def body_for(world: World) -> dict[str, object]:
    return lead_body(Public_Reference=world.listing.public_reference)


def test_a_valid_token_in_the_query_is_accepted(client: TestClient, world: World) -> None:
    assert post_lead(client, world.caller, body_for(world)).status_code == 201


def test_a_bearer_token_is_accepted(client: TestClient, world: World) -> None:
    response = client.post(
        ENDPOINT,
        headers={"user": world.caller.username, "Authorization": f"Bearer {world.caller.token}"},
        json=body_for(world),
    )
    assert response.status_code == 201


def test_no_token_is_a_401(client: TestClient, world: World) -> None:
    response = client.post(ENDPOINT, headers=world.caller.headers(), json=body_for(world))
    assert response.status_code == 401
    assert error_code(response) == "unauthorized"


def test_an_invalid_token_is_a_401(client: TestClient, world: World) -> None:
    wrong = Caller(world.caller.username, world.caller.token + "x")
    assert post_lead(client, wrong, body_for(world)).status_code == 401


def test_no_user_header_is_a_401(client: TestClient, world: World) -> None:
    response = client.post(ENDPOINT, params=world.caller.params(), json=body_for(world))
    assert response.status_code == 401


def test_a_user_that_does_not_own_the_token_is_a_401(
    client: TestClient, db: Database, world: World
) -> None:
    other = make_credential(db, agency=world.agency)
    response = post_lead(client, Caller(other.username, world.caller.token), body_for(world))
    assert response.status_code == 401


def test_a_revoked_token_is_a_401(client: TestClient, db: Database, world: World) -> None:
    with db.session_scope() as session:
        credentials.revoke(session, username=world.caller.username)
    assert post_lead(client, world.caller, body_for(world)).status_code == 401


def test_a_rotated_token_stops_working(client: TestClient, db: Database, world: World) -> None:
    with db.session_scope() as session:
        token = credentials.rotate(session, username=world.caller.username).token
    assert post_lead(client, world.caller, body_for(world)).status_code == 401
    fresh = Caller(world.caller.username, token)
    assert post_lead(client, fresh, body_for(world)).status_code == 201


def test_an_agency_scoped_credential_cannot_send_for_another_agency(
    client: TestClient, db: Database, world: World
) -> None:
    other_world = make_world(db)
    response = post_lead(client, world.caller, body_for(other_world))
    assert response.status_code == 403
    assert error_code(response) == "forbidden"


def test_a_portal_wide_credential_can_send_for_any_agency(
    client: TestClient, db: Database, world: World
) -> None:
    portal = make_credential(db)
    other_world = make_world(db)
    assert post_lead(client, portal, body_for(world)).status_code == 201
    assert post_lead(client, portal, body_for(other_world)).status_code == 201


def test_the_token_is_stored_only_as_a_hash(db: Database, world: World) -> None:
    with db.session_scope() as session:
        stored = credentials.list_all(session)[0]
        assert stored.token_hash != world.caller.token
        assert world.caller.token not in stored.token_hash
