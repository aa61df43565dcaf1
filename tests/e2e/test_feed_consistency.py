"""The change feed, read while several processes write, skips and repeats nothing."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from maxwork_leads.db import Database
from maxwork_leads.settings import Settings
from tests.conftest import empty_tables
from tests.e2e.server import running_server
from tests.factories import World, lead_body, make_world

pytestmark = pytest.mark.postgres

WRITERS = 6
LEADS_PER_WRITER = 40


def test_feed_read_during_writes_sees_every_lead_exactly_once(postgresql_url: str) -> None:
    database = Database(Settings(database_url=postgresql_url))
    empty_tables(database)
    world = make_world(database)
    unlimited = {"MAXWORK_RATE_LIMIT_PER_SECOND": "0"}
    with running_server(postgresql_url, workers=2, env=unlimited) as server:
        created = write_while_reading(server.url, world)
    acknowledged, seen = created
    assert len(seen) == len(set(seen)), "a lead was repeated across pages"
    assert set(seen) == acknowledged
    assert len(acknowledged) == WRITERS * LEADS_PER_WRITER


def write_while_reading(base_url: str, world: World) -> tuple[set[str], list[str]]:
    acknowledged: set[str] = set()
    done = threading.Event()

    def writer(w: int) -> None:
        with httpx.Client(base_url=base_url, timeout=30) as client:
            for i in range(LEADS_PER_WRITER):
                body = lead_body(
                    Public_Reference=world.listing.public_reference,
                    Sender_Email=f"w{w}-{i}@example.com",
                )
                response = client.post(
                    "/listingexport/leads",
                    params=world.caller.params(),
                    headers=world.caller.headers(),
                    json=body,
                )
                assert response.status_code == 201, response.text
                acknowledged.add(response.json()["Lead_Id"])

    seen: list[str] = []

    def reader() -> None:
        cursor = None
        with httpx.Client(base_url=base_url, timeout=30) as client:
            while True:
                finished = done.is_set()
                params = {**world.caller.params(), "limit": "7"}
                if cursor:
                    params["cursor"] = cursor
                page = client.get(
                    "/listingexport/leads", params=params, headers=world.caller.headers()
                ).json()
                seen.extend(lead["Lead_Id"] for lead in page["Leads"])
                cursor = page["Next_Cursor"]
                if finished and not page["Has_More"]:
                    return

    with ThreadPoolExecutor(max_workers=WRITERS + 1) as pool:
        read = pool.submit(reader)
        writes = [pool.submit(writer, w) for w in range(WRITERS)]
        for future in writes:
            future.result()
        done.set()
        read.result()
    return acknowledged, seen
