"""The production command serves the API over real HTTP on the SQLite default."""

from __future__ import annotations

import httpx

from maxwork_leads.db import Database
from tests.e2e.server import running_server
from tests.factories import lead_body, make_world


def test_a_served_lead_is_created_and_probes_answer(db: Database, database_url: str) -> None:
    world = make_world(db)
    with running_server(database_url) as base_url:
        assert httpx.get(f"{base_url}/healthz").json() == {"status": "ok"}
        assert httpx.get(f"{base_url}/readyz").json() == {"status": "ready"}
        response = httpx.post(
            f"{base_url}/listingexport/leads",
            params=world.caller.params(),
            headers=world.caller.headers(),
            json=lead_body(Public_Reference=world.listing.public_reference),
        )
    assert response.status_code == 201
    assert response.json()["Operation"] == "created"
