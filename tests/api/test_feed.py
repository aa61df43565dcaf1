"""The change feed: every change once, in commit order, page after page."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from maxwork_leads.db import Database
from tests.api.helpers import post_lead
from tests.factories import World, lead_body, make_credential


def send(client: TestClient, world: World, n: int, **overrides: object) -> str:
    body = lead_body(
        Public_Reference=world.listing.public_reference,
        Sender_Email=f"person{n}@example.com",
        **overrides,
    )
    response = post_lead(client, world.caller, body)
    assert response.status_code in (200, 201), response.text
    return str(response.json()["Lead_Id"])


def feed(client: TestClient, world: World, **params: object) -> dict:  # type: ignore[type-arg]
    response = client.get(
        "/listingexport/leads",
        params={**world.caller.params(), **params},
        headers=world.caller.headers(),
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def read_settled(
    client: TestClient, world: World, expected: list[str], limit: int, **params: object
) -> list[str]:
    """Read the whole feed, again until it shows `expected` (10 s at most).

    On PostgreSQL the feed shows a change once every older write transaction on the server
    has ended, so another program writing at the same moment can delay it briefly.
    """
    deadline = time.monotonic() + 10
    while (seen := read_all(client, world, limit, **params)) != expected:
        if time.monotonic() > deadline:
            return seen
        time.sleep(0.05)
    return seen


def read_all(client: TestClient, world: World, limit: int, **params: object) -> list[str]:
    seen: list[str] = []
    page = feed(client, world, limit=limit, **params)
    while True:
        seen += [lead["Lead_Id"] for lead in page["Leads"]]
        if not page["Has_More"]:
            return seen
        page = feed(client, world, limit=limit, cursor=page["Next_Cursor"])


def test_pages_cover_every_lead_once_in_order(client: TestClient, world: World) -> None:
    sent = [send(client, world, n) for n in range(7)]
    assert read_settled(client, world, sent, limit=3) == sent


def test_a_changed_lead_moves_to_the_end(client: TestClient, world: World) -> None:
    first, second = send(client, world, 1), send(client, world, 2)
    send(client, world, 1, Lead_Status="Contacted")
    assert read_settled(client, world, [second, first], limit=10) == [second, first]


def test_the_cursor_returns_only_later_changes(client: TestClient, world: World) -> None:
    first = send(client, world, 1)
    read_settled(client, world, [first], limit=10)
    cursor = feed(client, world)["Next_Cursor"]
    assert feed(client, world, cursor=cursor)["Leads"] == []
    later = send(client, world, 2)
    assert read_settled(client, world, [later], limit=10, cursor=cursor) == [later]


def test_updated_since_starts_the_feed_at_a_time(client: TestClient, world: World) -> None:
    send(client, world, 1)
    time.sleep(0.01)
    since = datetime.now(UTC).isoformat()
    later = send(client, world, 2)
    assert read_settled(client, world, [later], limit=10, updated_since=since) == [later]


def test_the_feed_shows_only_this_credentials_leads(
    client: TestClient, db: Database, world: World
) -> None:
    send(client, world, 1)
    other = make_credential(db, agency=world.agency)
    response = client.get("/listingexport/leads", params=other.params(), headers=other.headers())
    assert response.json()["Leads"] == []


@pytest.mark.parametrize("params", [{"cursor": "garbage"}, {"limit": 0}, {"limit": 1001}])
def test_bad_feed_parameters_are_a_422(
    client: TestClient, world: World, params: dict[str, object]
) -> None:
    response = client.get(
        "/listingexport/leads",
        params={**world.caller.params(), **params},
        headers=world.caller.headers(),
    )
    assert response.status_code == 422
