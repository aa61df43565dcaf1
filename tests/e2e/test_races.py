"""Bursts of mixed requests about one person, on four server processes, keep every rule.

Each round releases 24 requests together (New, Contacted, Archived and qualification
updates, some with one shared External_LeadId, phone and email written in several ways).
Some rounds send the same person about two listings of the same agent. Afterwards the
database must hold: one open lead per person + listing + agent, one contact per contacted
person + agent, statuses that never moved backwards, and one lead per External_LeadId.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from maxwork_leads.db import Database
from maxwork_leads.models import Contact, Lead, LeadActivity, Listing
from maxwork_leads.settings import Settings
from tests.conftest import empty_tables
from tests.e2e.server import running_server
from tests.factories import World, lead_body, make_listing, make_world

pytestmark = pytest.mark.postgres

ROUNDS = 8
BURST = 24
TWO_LISTING_ROUNDS = {1, 4, 6}  # the same person asks about both listings at once
RANK = {"New": 0, "Contacted": 1, "Archived": 2}
STATUS_WEIGHTS = {"New": 4, "Contacted": 4, "Archived": 2}


@dataclass(frozen=True)
class Sent:
    round: int
    body: dict[str, Any]
    status: int
    answer: dict[str, Any]


@pytest.fixture
def pg_db(postgresql_url: str) -> Iterator[Database]:
    database = Database(Settings(database_url=postgresql_url))
    empty_tables(database)
    yield database
    database.dispose()


def person_bodies(round_: int, listings: list[Listing], rng: random.Random) -> list[dict[str, Any]]:
    """One burst about one person: the same phone and email written in several ways."""
    digits = f"{round_:02d}{rng.randrange(10**5):05d}"
    phones = [
        f"+351 91{digits}",
        f"91{digits}",
        f"0035191{digits}",
        f"91 {digits[:3]} {digits[3:]}",
    ]
    email = f"race.{round_}.{uuid.uuid4().hex[:8]}@example.com"
    emails = [email, email.upper(), f"  {email}  "]
    targets = listings if round_ in TWO_LISTING_ROUNDS else listings[:1]
    bodies = []
    for n in range(BURST):
        listing = targets[n % len(targets)]
        status = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
        body = lead_body(
            Public_Reference=listing.public_reference,
            Sender_Name=f"Person {round_}",
            Sender_Email=rng.choice(emails),
            Sender_Phone=rng.choice(phones),
            Message=f"round {round_} request {n}",
            Lead_Status=rng.choice([status, status.lower(), status.upper()]),
        )
        if rng.random() < 0.4:  # qualification: every min below every max, so merges stay valid
            body["Price_Min"] = rng.choice([100_000, 120_000, 150_000])
            body["Price_Max"] = rng.choice([200_000, 250_000])
            body["Room_Min"] = rng.choice([1, 2, 3])
        if rng.random() < 0.5:
            body["External_LeadId"] = f"race-{round_}-{listing.public_reference}"
        bodies.append(body)
    return bodies


def burst(base_url: str, world: World, bodies: list[dict[str, Any]]) -> list[httpx.Response]:
    """Send every body at the same instant: each thread connects, waits, then all send."""
    barrier = threading.Barrier(len(bodies))

    def send(body: dict[str, Any]) -> httpx.Response:
        with httpx.Client(base_url=base_url, timeout=60) as client:
            client.get("/healthz")
            barrier.wait()
            return client.post(
                "/listingexport/leads",
                params=world.caller.params(),
                headers=world.caller.headers(),
                json=body,
            )

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(send, bodies))


def test_mixed_bursts_on_four_processes_keep_every_rule(
    pg_db: Database, postgresql_url: str
) -> None:
    started = time.monotonic()
    world = make_world(pg_db)
    listings = [world.listing, make_listing(pg_db, agency=world.agency, agent=world.agent)]
    rng = random.Random(20261127)
    sent: list[Sent] = []
    env = {"MAXWORK_RATE_LIMIT_PER_SECOND": "0"}
    with running_server(postgresql_url, workers=4, env=env) as server:
        for round_ in range(ROUNDS):
            bodies = person_bodies(round_, listings, rng)
            responses = burst(server.url, world, bodies)
            sent += [
                Sent(round_, body, r.status_code, r.json() if r.content else {})
                for body, r in zip(bodies, responses, strict=True)
            ]
        server_log = server.log()

    statuses = Counter(s.status for s in sent)
    bad = [(s.round, s.status, s.answer) for s in sent if s.status not in (200, 201)]
    assert bad == [], f"{statuses}; first: {bad[:3]}; log tail: {server_log[-2000:]}"
    assert "Traceback" not in server_log

    with pg_db.session_scope() as session:
        leads = list(session.scalars(select(Lead)))
        contacts = list(session.scalars(select(Contact)))
        activity = list(
            session.scalars(select(LeadActivity).order_by(LeadActivity.created_at, LeadActivity.id))
        )
    by_id = {lead.id: lead for lead in leads}

    # Every answer names a lead that exists, in the status it answered or a later one.
    for s in sent:
        lead = by_id[uuid.UUID(s.answer["Lead_Id"])]
        assert RANK[s.answer["Lead_Status"]] <= RANK[lead.status]
        if s.answer["Lead_Status"] == "Contacted":
            assert s.answer["Contact_Id"] is not None

    # At most one open lead per agent + listing + phone + email.
    open_leads = Counter(
        (lead.agent_id, lead.listing_key, lead.phone_key, lead.email)
        for lead in leads
        if lead.status != "Archived"
    )
    assert [key for key, n in open_leads.items() if n > 1] == []

    # Statuses never move backwards, in the order the activity was written.
    history: dict[uuid.UUID, list[str]] = defaultdict(list)
    for row in activity:
        history[row.lead_id].append(row.status_after)
    for lead_id, steps in history.items():
        ranks = [RANK[step] for step in steps]
        assert ranks == sorted(ranks), f"lead {lead_id} went {steps}"
        assert steps[-1] == by_id[lead_id].status
    assert set(history) == set(by_id)  # every lead has its activity

    # Every Contacted lead has a contact, with its own person and agent.
    contact_by_id = {contact.id: contact for contact in contacts}
    for lead in leads:
        if lead.status == "Contacted":
            assert lead.contact_id is not None, f"contacted lead {lead.id} has no contact"
        if lead.contact_id is not None:
            contact = contact_by_id[lead.contact_id]
            assert (contact.agent_id, contact.phone_key, contact.email) == (
                lead.agent_id,
                lead.phone_key,
                lead.email,
            )

    # Exactly one contact per agent + phone + email that was ever contacted, and no other.
    contacted = {
        (by_id[lead_id].agent_id, by_id[lead_id].phone_key, by_id[lead_id].email)
        for lead_id, steps in history.items()
        if "Contacted" in steps
    }
    per_person = Counter((c.agent_id, c.phone_key, c.email) for c in contacts)
    assert {key: per_person[key] for key in contacted} == dict.fromkeys(contacted, 1)
    assert set(per_person) == contacted

    # At most one lead per External_LeadId (per credential: there is one here).
    external = Counter(lead.external_id for lead in leads if lead.external_id is not None)
    assert [key for key, n in external.items() if n > 1] == []
    sent_ids = {s.body["External_LeadId"] for s in sent if "External_LeadId" in s.body}
    assert set(external) <= sent_ids

    # Every round's person has leads; two-listing rounds have leads on both listings.
    people: dict[str, set[str]] = defaultdict(set)
    for lead in leads:
        people[lead.email].add(lead.listing_key)
    two = len(TWO_LISTING_ROUNDS & set(range(ROUNDS)))
    assert len(people) == ROUNDS
    assert sorted(len(keys) for keys in people.values()) == [1] * (ROUNDS - two) + [2] * two

    elapsed = time.monotonic() - started
    print(
        f"\nraces: {len(sent)} requests in {ROUNDS} bursts of {BURST} on 4 workers; "
        f"answers {dict(sorted(statuses.items()))}; {len(leads)} leads "
        f"({dict(Counter(lead.status for lead in leads))}), {len(contacts)} contacts, "
        f"{len(activity)} activity rows, "
        f"statuses sent {dict(Counter(s.body['Lead_Status'].title() for s in sent))}; "
        f"{elapsed:.1f}s"
    )
