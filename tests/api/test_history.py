"""Every request to the lead endpoint is in the integrator's history, and only theirs."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from maxwork_leads.db import Database
from maxwork_leads.models import IntegrationRequest
from tests.api.helpers import ENDPOINT, post_lead
from tests.factories import Caller, World, lead_body, make_credential


def body_for(world: World, **overrides: object) -> dict[str, object]:
    return lead_body(**{"Public_Reference": world.listing.public_reference, **overrides})


def history(client: TestClient, caller: Caller, **params: object) -> dict:  # type: ignore[type-arg]
    response = client.get(
        "/listingexport/history", params={**caller.params(), **params}, headers=caller.headers()
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_success_and_failure_are_recorded(client: TestClient, world: World) -> None:
    created = post_lead(
        client, world.caller, body_for(world), **{"User-Agent": "portal-sync/2.1"}
    ).json()
    post_lead(client, world.caller, body_for(world, Sender_Email="broken"))
    entries = history(client, world.caller)["Entries"]
    assert [e["Status_Code"] for e in entries] == [422, 201]
    failed, ok = entries
    assert failed["Error_Code"] == "validation_error"
    assert failed["Outcome"] == "error"
    assert ok["Outcome"] == "created"
    assert ok["Lead_Id"] == created["Lead_Id"]
    assert ok["User_Agent"] == "portal-sync/2.1"
    assert ok["Body"]["Sender_Name"] == "Ana Silva"


def test_a_malformed_body_with_a_valid_credential_is_in_its_history(
    client: TestClient, world: World
) -> None:
    client.post(
        ENDPOINT,
        params=world.caller.params(),
        headers=world.caller.headers(**{"Content-Type": "application/json"}),
        content=b"{not json",
    )
    entries = history(client, world.caller)["Entries"]
    assert [(e["Status_Code"], e["Error_Code"]) for e in entries] == [(400, "malformed_json")]
    assert entries[0]["Body"] == "{not json"


def test_a_request_refused_for_an_overlong_idempotency_key_is_in_its_history(
    client: TestClient, world: World
) -> None:
    """The key is clipped to the column's 255 characters; the refusal is kept anyway."""
    response = post_lead(client, world.caller, body_for(world), **{"Idempotency-Key": "k" * 300})
    assert response.status_code == 400
    entries = history(client, world.caller)["Entries"]
    assert [(e["Status_Code"], e["Error_Code"]) for e in entries] == [
        (400, "invalid_idempotency_key")
    ]


def test_requests_that_do_not_prove_the_credential_stay_out_of_its_history(
    client: TestClient, db: Database, world: World
) -> None:
    impostor = Caller(world.caller.username, "wrong-token")
    post_lead(client, impostor, body_for(world))
    client.post(
        ENDPOINT,
        params=impostor.params(),
        headers=impostor.headers(**{"Content-Type": "application/json"}),
        content=b"{not json",
    )
    assert history(client, world.caller)["Entries"] == []
    with db.session_scope() as session:
        rows = session.scalars(select(IntegrationRequest)).all()
        assert sorted((r.status_code, r.username, r.credential_id) for r in rows) == [
            (400, world.caller.username, None),
            (401, world.caller.username, None),
        ]


def test_filters_by_status_and_external_id(client: TestClient, world: World) -> None:
    post_lead(client, world.caller, body_for(world, External_LeadId="A-1"))
    post_lead(client, world.caller, body_for(world, External_LeadId="B-2", Lead_Status="x"))
    post_lead(client, world.caller, body_for(world, External_LeadId="A-1", Message="again"))
    by_id = history(client, world.caller, External_LeadId="A-1")["Entries"]
    assert [e["Status_Code"] for e in by_id] == [200, 201]
    errors = history(client, world.caller, status_code=422)["Entries"]
    assert [e["External_LeadId"] for e in errors] == ["B-2"]


def test_filters_by_time_range(client: TestClient, world: World) -> None:
    post_lead(client, world.caller, body_for(world))
    entries = history(client, world.caller)["Entries"]
    received = entries[0]["Received_At"]
    assert len(history(client, world.caller, since=received)["Entries"]) == 1
    assert history(client, world.caller, until=received)["Entries"] == []


def test_pages_follow_the_cursor(client: TestClient, world: World) -> None:
    for n in range(5):
        post_lead(client, world.caller, body_for(world, Message=f"m{n}"))
    first = history(client, world.caller, limit=2)
    assert first["Has_More"] is True
    ids = [e["Id"] for e in first["Entries"]]
    page = first
    while page["Has_More"]:
        page = history(client, world.caller, limit=2, cursor=page["Next_Cursor"])
        ids += [e["Id"] for e in page["Entries"]]
    assert len(ids) == len(set(ids)) == 5


def test_an_integrator_never_sees_another_integrators_history(
    client: TestClient, db: Database, world: World
) -> None:
    post_lead(client, world.caller, body_for(world))
    other = make_credential(db, agency=world.agency)
    assert history(client, other)["Entries"] == []


def test_the_token_is_never_stored(client: TestClient, db: Database, world: World) -> None:
    post_lead(client, world.caller, body_for(world, token=world.caller.token, Note="x"))
    post_lead(client, world.caller, body_for(world, Sender_Email="bad", Echo=world.caller.token))
    with db.session_scope() as session:
        rows = session.scalars(select(IntegrationRequest)).all()
        assert len(rows) == 2
        for row in rows:
            stored = " ".join(str(v) for v in vars(row).values())
            assert world.caller.token not in stored


def test_a_token_in_the_body_is_not_kept_with_the_lead(
    client: TestClient, db: Database, world: World
) -> None:
    from maxwork_leads.models import LeadActivity

    post_lead(
        client, world.caller, body_for(world, token=world.caller.token, Note=world.caller.token)
    )
    with db.session_scope() as session:
        payload = session.scalars(select(LeadActivity.payload)).one()
    assert world.caller.token not in str(payload)
    assert payload["token"] == "[redacted]"


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
def test_times_beyond_any_lead_are_a_422_not_a_crash(
    client: TestClient, world: World, moment: str
) -> None:
    for path, name in (
        ("/listingexport/history", "since"),
        ("/listingexport/leads", "updated_since"),
    ):
        response = client.get(
            path, params={**world.caller.params(), name: moment}, headers=world.caller.headers()
        )
        assert response.status_code == 422, (path, response.text)
