"""The production command serves the API over real HTTP on the SQLite default."""

from __future__ import annotations

import json
import time

import httpx

from maxwork_leads.db import Database
from tests.e2e.server import running_server
from tests.factories import lead_body, make_world


def test_a_served_lead_is_created_and_probes_answer(db: Database, database_url: str) -> None:
    world = make_world(db)
    with running_server(database_url) as server:
        assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
        assert httpx.get(f"{server.url}/readyz").json() == {"status": "ready"}
        response = httpx.post(
            f"{server.url}/listingexport/leads",
            params=world.caller.params(),
            headers=world.caller.headers(),
            json=lead_body(Public_Reference=world.listing.public_reference),
        )
    assert response.status_code == 201
    assert response.json()["Operation"] == "created"


def lead_statuses(log: str) -> list[object]:
    """The statuses in the access log's lines for the lead endpoint, in order."""
    entries = [
        json.loads(line.split("maxwork_leads.access ", 1)[1])
        for line in log.splitlines()
        if "maxwork_leads.access " in line
    ]
    return [entry["status"] for entry in entries if entry["path"] == "/listingexport/leads"]


def test_the_server_log_never_contains_the_token(db: Database, database_url: str) -> None:
    world = make_world(db)
    with running_server(database_url) as server:
        for status in ("New", "Bogus"):
            httpx.post(
                f"{server.url}/listingexport/leads",
                params=world.caller.params(),
                headers=world.caller.headers(),
                json=lead_body(Public_Reference=world.listing.public_reference, Lead_Status=status),
            )
        # A request's line is written once its answer has gone out: wait for the last one.
        deadline = time.monotonic() + 10
        while len(lead_statuses(server.log())) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        log = server.log()
    assert lead_statuses(log) == [201, 422]
    assert world.caller.token not in log
    assert "token=" not in log
