"""Idempotency-Key: retries replay the first response; a reused key with another body is a 409."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from maxwork_leads.db import Database
from maxwork_leads.models import Lead
from tests.api.helpers import error_code, post_lead
from tests.factories import World, lead_body


def body_for(world: World, **overrides: object) -> dict[str, object]:
    return lead_body(**{"Public_Reference": world.listing.public_reference, **overrides})


def test_a_retry_with_the_same_key_replays_the_first_response(
    client: TestClient, db: Database, world: World
) -> None:
    first = post_lead(client, world.caller, body_for(world), **{"Idempotency-Key": "k-1"})
    retry = post_lead(client, world.caller, body_for(world), **{"Idempotency-Key": "k-1"})
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    with db.session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Lead)) == 1


def test_the_same_key_with_another_body_is_a_409(client: TestClient, world: World) -> None:
    post_lead(client, world.caller, body_for(world), **{"Idempotency-Key": "k-2"})
    other = post_lead(
        client, world.caller, body_for(world, Message="changed"), **{"Idempotency-Key": "k-2"}
    )
    assert other.status_code == 409
    assert error_code(other) == "idempotency_key_reused"


def test_a_failed_request_does_not_keep_its_key(client: TestClient, world: World) -> None:
    bad = post_lead(
        client, world.caller, body_for(world, Sender_Email="x"), **{"Idempotency-Key": "k-3"}
    )
    assert bad.status_code == 422
    good = post_lead(client, world.caller, body_for(world), **{"Idempotency-Key": "k-3"})
    assert good.status_code == 201


def test_keys_belong_to_one_credential(client: TestClient, db: Database, world: World) -> None:
    from tests.factories import make_credential

    other = make_credential(db, agency=world.agency)
    post_lead(client, world.caller, body_for(world), **{"Idempotency-Key": "shared"})
    response = post_lead(
        client, other, body_for(world, Message="mine"), **{"Idempotency-Key": "shared"}
    )
    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response.headers


@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "tab\there"])
def test_an_invalid_key_is_a_400(client: TestClient, world: World, key: str) -> None:
    response = client.post(
        "/listingexport/leads",
        params=world.caller.params(),
        headers={**world.caller.headers(), "Idempotency-Key": key},
        json=body_for(world),
    )
    assert response.status_code == 400
    assert error_code(response) == "invalid_idempotency_key"
