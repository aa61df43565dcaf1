"""Racing requests on several server processes still produce exactly one lead and contact."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import func, select, text

from maxwork_leads.db import Database
from maxwork_leads.models import Contact, Lead, LeadActivity
from tests.e2e.server import running_server
from tests.factories import World, lead_body, make_world

pytestmark = pytest.mark.postgres

UNLIMITED = {"MAXWORK_RATE_LIMIT_PER_SECOND": "0"}


def fire(
    base_url: str,
    world: World,
    body: dict[str, object],
    copies: int,
    headers: dict[str, str] | None = None,
) -> list[httpx.Response]:
    """Send `copies` requests at the same instant: each thread connects, then all wait on a
    barrier and send together."""
    barrier = threading.Barrier(copies)

    def send(_: int) -> httpx.Response:
        with httpx.Client(base_url=base_url, timeout=30) as client:
            client.get("/healthz")
            barrier.wait()
            return client.post(
                "/listingexport/leads",
                params=world.caller.params(),
                headers=world.caller.headers(**(headers or {})),
                json=body,
            )

    with ThreadPoolExecutor(max_workers=copies) as pool:
        return list(pool.map(send, range(copies)))


def counts(db: Database) -> tuple[int, int, int]:
    with db.session_scope() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(model))
            for model in (Lead, Contact, LeadActivity)
        )


@pytest.fixture
def pg_db(postgresql_url: str) -> Database:
    from maxwork_leads.settings import Settings
    from tests.conftest import empty_tables

    database = Database(Settings(database_url=postgresql_url))
    empty_tables(database)
    return database


def test_twenty_identical_contacted_requests_make_one_lead_and_one_contact(
    pg_db: Database, postgresql_url: str
) -> None:
    world = make_world(pg_db)
    body = lead_body(Public_Reference=world.listing.public_reference, Lead_Status="Contacted")
    with running_server(postgresql_url, workers=2, env=UNLIMITED) as server:
        responses = fire(server.url, world, body, copies=20)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 19 + [201]
    assert len({r.json()["Lead_Id"] for r in responses}) == 1
    assert len({r.json()["Contact_Id"] for r in responses}) == 1
    assert counts(pg_db) == (1, 1, 1)


def test_racing_archive_requests_make_one_archived_lead(
    pg_db: Database, postgresql_url: str
) -> None:
    world = make_world(pg_db)
    body = lead_body(Public_Reference=world.listing.public_reference, Lead_Status="Archived")
    with running_server(postgresql_url, workers=2, env=UNLIMITED) as server:
        responses = fire(server.url, world, body, copies=12)
    assert all(r.status_code in (200, 201) for r in responses)
    assert counts(pg_db)[0] == 1


def test_the_rate_limit_holds_across_server_processes(
    pg_db: Database, postgresql_url: str, redis_url: str
) -> None:
    world = make_world(pg_db)
    body = lead_body(Public_Reference=world.listing.public_reference)
    limited = {
        "MAXWORK_RATE_LIMIT_PER_SECOND": "0.2",
        "MAXWORK_RATE_LIMIT_BURST": "5",
        "MAXWORK_REDIS_URL": redis_url,
    }
    with running_server(postgresql_url, workers=2, env=limited) as server:
        responses = fire(server.url, world, body, copies=16)
    statuses = [r.status_code for r in responses]
    assert statuses.count(429) == 11
    assert all(r.headers["Retry-After"] for r in responses if r.status_code == 429)


def test_one_idempotency_key_sent_at_once_to_two_processes_acts_once(
    pg_db: Database, postgresql_url: str
) -> None:
    world = make_world(pg_db)
    body = lead_body(Public_Reference=world.listing.public_reference)
    with running_server(postgresql_url, workers=2, env=UNLIMITED) as server:
        responses = fire(server.url, world, body, copies=12, headers={"Idempotency-Key": "once"})
    assert [r.status_code for r in responses] == [201] * 12
    assert len({r.text for r in responses}) == 1
    replayed = [r.headers.get("Idempotent-Replayed") for r in responses]
    assert replayed.count("true") == 11
    assert counts(pg_db)[0] == 1


def test_batches_with_the_same_people_in_opposite_orders_never_deadlock_or_duplicate(
    pg_db: Database, postgresql_url: str
) -> None:
    world = make_world(pg_db)
    people = [
        lead_body(
            Public_Reference=world.listing.public_reference,
            Sender_Email=f"p{n}@example.com",
            Lead_Status="Contacted",
        )
        for n in range(40)
    ]
    batches = [people, list(reversed(people))] * 3
    with running_server(postgresql_url, workers=2, env=UNLIMITED) as server:
        barrier = threading.Barrier(len(batches))

        def send(batch: list[dict[str, object]]) -> httpx.Response:
            with httpx.Client(base_url=server.url, timeout=60) as client:
                barrier.wait()
                return client.post(
                    "/listingexport/leads/batch",
                    params=world.caller.params(),
                    headers=world.caller.headers(),
                    json=batch,
                )

        with ThreadPoolExecutor(max_workers=len(batches)) as pool:
            responses = list(pool.map(send, batches))
    assert [r.status_code for r in responses] == [207] * len(batches)
    assert all(r.json()["Failed"] == 0 for r in responses)
    assert sum(r.json()["Created"] for r in responses) == 40
    assert counts(pg_db)[:2] == (40, 40)


def deadlocks(db: Database) -> int:
    with db.session_scope() as session:
        found = session.scalar(
            text("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        )
        return int(found or 0)


def test_single_requests_for_the_same_people_in_two_processes_never_deadlock(
    pg_db: Database, postgresql_url: str
) -> None:
    """Each process writes the requests that wait for it as one group; groups with the same
    people in opposite orders must take their locks so that neither waits for the other."""
    world = make_world(pg_db)
    people = [
        lead_body(
            Public_Reference=world.listing.public_reference,
            Sender_Email=f"p{n}@example.com",
            Lead_Status=("New", "Contacted")[n % 2],
        )
        for n in range(24)
    ]
    orders = [people, list(reversed(people))] * 2
    before = deadlocks(pg_db)
    with running_server(postgresql_url, workers=2, env=UNLIMITED) as server:
        barrier = threading.Barrier(len(orders) * 4)

        def send(job: tuple[int, int]) -> list[int]:
            order, part = job
            with httpx.Client(base_url=server.url, timeout=60) as client:
                client.get("/healthz")
                barrier.wait()
                return [
                    client.post(
                        "/listingexport/leads",
                        params=world.caller.params(),
                        headers=world.caller.headers(),
                        json=body,
                    ).status_code
                    for body in orders[order][part::4]
                ]

        jobs = [(order, part) for order in range(len(orders)) for part in range(4)]
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            statuses = [status for answers in pool.map(send, jobs) for status in answers]
    assert sorted(set(statuses)) <= [200, 201]
    assert statuses.count(201) == 24
    assert counts(pg_db)[:2] == (24, 12)
    assert deadlocks(pg_db) == before
