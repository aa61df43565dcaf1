"""The batch endpoint: one result per item, in order; a bad item never fails the others."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, event, func, select, update

from maxwork_leads.db import Database
from maxwork_leads.models import (
    Contact,
    IntegrationRequest,
    Lead,
    LeadActivity,
    Qualification,
)
from tests.factories import World, lead_body

ENDPOINT = "/listingexport/leads/batch"


def item(world: World, n: int, **overrides: object) -> dict[str, object]:
    return lead_body(
        **{
            "Public_Reference": world.listing.public_reference,
            "Sender_Email": f"p{n}@example.com",
            **overrides,
        }
    )


def send(client: TestClient, world: World, body: object, **headers: str):  # type: ignore[no-untyped-def]
    return client.post(
        ENDPOINT, params=world.caller.params(), headers=world.caller.headers(**headers), json=body
    )


def count(db: Database, model: type) -> int:
    with db.session_scope() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_each_item_gets_its_own_result_in_order(
    client: TestClient, db: Database, world: World
) -> None:
    body = [
        item(world, 1),
        item(world, 2, Sender_Email="not-an-email"),
        item(world, 3, Lead_Status="Contacted"),
        item(world, 4, Public_Reference="NO-SUCH-LISTING"),
        item(world, 1, Message="again"),
        item(world, 5, Price_Min=10, Price_Max=5),
    ]
    response = send(client, world, body)
    assert response.status_code == 207
    results = response.json()["Results"]
    assert [r["Index"] for r in results] == list(range(6))
    assert [r["Status"] for r in results] == [201, 422, 201, 422, 200, 422]
    assert results[1]["Error"]["Fields"][0]["Field"] == "Sender_Email"
    assert results[3]["Error"]["Code"] == "unknown_listing"
    assert results[2]["Body"]["Contact_Operation"] == "created"
    assert results[4]["Body"]["Lead_Id"] == results[0]["Body"]["Lead_Id"]
    assert (response.json()["Created"], response.json()["Failed"]) == (2, 3)
    assert count(db, Lead) == 2
    assert count(db, Contact) == 1


def test_a_batch_item_behaves_like_the_single_endpoint(client: TestClient, world: World) -> None:
    single = client.post(
        "/listingexport/leads",
        params=world.caller.params(),
        headers=world.caller.headers(),
        json=item(world, 1),
    ).json()
    batched = send(client, world, [item(world, 1)]).json()["Results"][0]
    assert batched["Status"] == 200
    assert batched["Body"] == {**single, "Operation": "unchanged"}


def test_each_item_is_one_history_entry(client: TestClient, db: Database, world: World) -> None:
    send(client, world, [item(world, 1, External_LeadId="e-1"), item(world, 2, Lead_Status="?")])
    with db.session_scope() as session:
        rows = session.scalars(select(IntegrationRequest).order_by(IntegrationRequest.batch_index))
        assert [(r.batch_index, r.status_code, r.external_id) for r in rows] == [
            (0, 201, "e-1"),
            (1, 422, None),
        ]


@pytest.mark.parametrize(
    "body", [[], {"Public_Reference": "x"}, "leads"], ids=["empty", "object", "string"]
)
def test_a_body_that_is_not_a_list_of_leads_is_a_422(
    client: TestClient, world: World, body: object
) -> None:
    assert send(client, world, body).status_code == 422


def test_more_than_500_items_is_a_422(client: TestClient, world: World) -> None:
    response = send(client, world, [item(world, n) for n in range(501)])
    assert response.status_code == 422
    assert "500" in response.json()["Error"]["Message"]


def test_five_hundred_items_are_all_applied(client: TestClient, db: Database, world: World) -> None:
    response = send(client, world, [item(world, n) for n in range(500)])
    assert response.json()["Created"] == 500
    assert count(db, Lead) == 500


def test_the_batch_needs_credentials(client: TestClient, world: World) -> None:
    response = client.post(ENDPOINT, json=[item(world, 1)])
    assert response.status_code == 401


def test_a_batch_retry_with_the_same_idempotency_key_is_replayed(
    client: TestClient, db: Database, world: World
) -> None:
    body = [item(world, 1), item(world, 2)]
    first = send(client, world, body, **{"Idempotency-Key": "batch-1"})
    again = send(client, world, body, **{"Idempotency-Key": "batch-1"})
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count(db, Lead) == 2


def _mixed_items(world: World) -> list[dict[str, object]]:
    """Items that take every path: new leads and follow-ups written together, and items
    applied alone."""
    return [
        item(world, 10),
        item(world, 11, External_LeadId="x-11"),
        item(world, 12),
        item(world, 12, Message="the same person again"),  # shares a lead with the item above
        item(world, 13, Lead_Status="Contacted"),
        item(world, 14, Price_Min=100, Price_Max=200),
        item(world, 15, External_LeadId="x-used"),  # the ID was used before the batch
        item(world, 16),  # a follow-up: it has an open lead before the batch
        item(world, 17, Lead_Status="Archived"),
        item(world, 18, Sender_Email="broken"),
        item(world, 19, External_LeadId="x-19"),
        item(world, 20, External_LeadId="x-19"),  # shares an ID with the item above
        item(world, 21),
    ]


def _before_the_batch(client: TestClient, world: World) -> None:
    for body in (item(world, 99, External_LeadId="x-used"), item(world, 16, Message="first")):
        answer = client.post(
            "/listingexport/leads",
            params=world.caller.params(),
            headers=world.caller.headers(),
            json=body,
        )
        assert answer.status_code == 201


def _state(db: Database) -> list[tuple[object, ...]]:
    with db.session_scope() as session:
        rows = session.execute(
            select(Lead.email, Lead.status, Lead.stage, Lead.external_id, Lead.message)
        ).all()
    return sorted(tuple(row) for row in rows)


def test_a_batch_leaves_what_its_items_sent_one_by_one_would_leave(
    client: TestClient, db: Database, world: World
) -> None:
    _before_the_batch(client, world)
    response = send(client, world, _mixed_items(world))
    batch_results = [
        (r["Status"], r.get("Body", {}).get("Operation")) for r in response.json()["Results"]
    ]
    batch_state = _state(db)
    batch_counts = (count(db, Lead), count(db, Contact), count(db, IntegrationRequest))

    with db.session_scope() as session:
        session.execute(delete(IntegrationRequest))
        session.execute(delete(LeadActivity))
        session.execute(delete(Qualification))
        session.execute(update(Lead).values(contact_id=None))
        session.execute(delete(Contact))
        session.execute(delete(Lead))
    _before_the_batch(client, world)
    single_results = []
    for body in _mixed_items(world):
        answer = client.post(
            "/listingexport/leads",
            params=world.caller.params(),
            headers=world.caller.headers(),
            json=body,
        )
        single_results.append((answer.status_code, answer.json().get("Operation")))

    assert batch_results == single_results
    assert batch_state == _state(db)
    assert batch_counts == (count(db, Lead), count(db, Contact), count(db, IntegrationRequest))


def test_fresh_new_leads_of_a_batch_are_written_with_one_insert(
    client: TestClient, world: World
) -> None:
    statements: list[str] = []

    def spy(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("INSERT INTO LEADS "):
            statements.append(statement)

    event.listen(Engine, "before_cursor_execute", spy)
    try:
        response = send(client, world, [item(world, n) for n in range(40)])
    finally:
        event.remove(Engine, "before_cursor_execute", spy)
    assert response.json()["Created"] == 40
    assert len(statements) == 1
