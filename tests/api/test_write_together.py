"""Write requests taken together in one transaction answer as if each had been taken alone."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from maxwork_leads.api import pipeline
from maxwork_leads.api.deps import Caller
from maxwork_leads.api.grouped import Job, write_together
from maxwork_leads.api.lead_work import LeadWork
from maxwork_leads.app import create_app
from maxwork_leads.db import Database
from maxwork_leads.leads.qualifications import PROFILE
from maxwork_leads.models import (
    Contact,
    Credential,
    IntegrationRequest,
    Lead,
    LeadActivity,
    LeadLink,
    Qualification,
)
from maxwork_leads.settings import Settings
from tests.api.helpers import ENDPOINT
from tests.conftest import empty_tables
from tests.factories import World, lead_body, make_credential, make_listing, make_world


def job(world: World, body: dict[str, Any], key: str | None = None) -> Job:
    call = Caller(world.caller.username, world.caller.token, "tests").call("leads", key)
    return Job(call, body, LeadWork(call, body, "PT"))


def person(world: World, n: int, **fields: Any) -> dict[str, Any]:
    body = {"Sender_Email": f"person{n}@example.com", **fields}
    return lead_body(Public_Reference=world.listing.public_reference, **body)


def contacted_earlier(
    services: pipeline.Services, db: Database, world: World, n: int
) -> pipeline.Answer:
    """Person `n` made a contact of the agent with a lead on another listing."""
    other = make_listing(db, agency=world.agency, agent=world.agent)
    known = person(world, n, Lead_Status="Contacted")
    known["Public_Reference"] = other.public_reference
    return write_together(services, [job(world, known)])[0]


def count(db: Database, what: Any) -> int:
    with db.session_scope() as session:
        return int(session.scalar(select(func.count()).select_from(what)) or 0)


def test_each_request_of_a_group_gets_its_own_answer_and_history_entry(
    services: pipeline.Services, db: Database, world: World
) -> None:
    jobs = [
        job(world, person(world, 1)),
        job(world, person(world, 2, Sender_Email="not an email")),
        job(world, person(world, 3), key="key-3"),
        job(world, person(world, 3), key="key-3"),
        job(world, person(world, 1, Lead_Status="Contacted")),
    ]
    answers = write_together(services, jobs)
    assert [answer.status for answer in answers] == [201, 422, 201, 201, 200]
    assert answers[3].headers.get("Idempotent-Replayed") == "true"
    assert answers[3].body == answers[2].body
    assert answers[4].body["Lead_Id"] == answers[0].body["Lead_Id"]
    assert count(db, Lead) == 2
    with db.session_scope() as session:
        statuses = session.scalars(
            select(IntegrationRequest.status_code).order_by(IntegrationRequest.received_at)
        )
        assert sorted(statuses) == [200, 201, 201, 201, 422]


def test_a_broken_transaction_writes_every_request_again_on_its_own_and_only_once(
    services: pipeline.Services, db: Database, world: World
) -> None:
    def breaks(session: Session, _credential: Credential) -> pipeline.Written:
        session.execute(text("SELECT * FROM no_such_table"))
        raise AssertionError("unreachable")

    broken = job(world, person(world, 9))
    jobs = [
        job(world, person(world, 1)),
        Job(broken.call, broken.body, breaks),
        job(world, person(world, 2)),
    ]
    answers = write_together(services, jobs)
    assert [answer.status for answer in answers] == [201, 500, 201]
    assert count(db, Lead) == 2


def lead_inserts(db: Database) -> list[str]:
    """Every INSERT INTO leads statement the database is sent from here on."""
    seen: list[str] = []

    def keep(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO LEADS"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", keep)
    return seen


def test_new_leads_of_distinct_people_are_written_with_one_insert(
    services: pipeline.Services, db: Database, world: World
) -> None:
    statements = lead_inserts(services.database)
    answers = write_together(services, [job(world, person(world, n)) for n in range(5)])
    assert [answer.status for answer in answers] == [201] * 5
    assert len({answer.body["Lead_Id"] for answer in answers}) == 5
    assert len(statements) == 1
    with db.session_scope() as session:
        recorded = session.execute(select(IntegrationRequest.lead_id, IntegrationRequest.outcome))
        assert sorted((str(lead), outcome) for lead, outcome in recorded) == sorted(
            (answer.body["Lead_Id"], "created") for answer in answers
        )


def test_contacted_people_are_linked_to_their_contacts_together(
    services: pipeline.Services, db: Database, world: World
) -> None:
    earlier = contacted_earlier(services, db, world, 1)
    statements = lead_inserts(services.database)
    jobs = [
        job(world, person(world, 1, Lead_Status="Contacted")),
        job(world, person(world, 2, Lead_Status="Contacted")),
        job(world, person(world, 3)),
    ]
    answers = write_together(services, jobs)
    assert [answer.status for answer in answers] == [201] * 3
    assert [answer.body["Contact_Operation"] for answer in answers] == ["matched", "created", None]
    assert answers[0].body["Contact_Id"] == earlier.body["Contact_Id"]
    assert answers[1].body["Contact_Id"] not in (None, earlier.body["Contact_Id"])
    assert len(statements) == 1
    assert count(db, Contact) == 2
    with db.session_scope() as session:
        linked = session.get(Lead, UUID(answers[1].body["Lead_Id"]))
        assert linked is not None and str(linked.contact_id) == answers[1].body["Contact_Id"]


def test_qualified_new_leads_are_written_together_with_their_qualifications(
    services: pipeline.Services, db: Database, world: World
) -> None:
    statements = lead_inserts(services.database)
    wants = {"Price_Min": 100000, "Price_Max": 250000, "Room_Min": 2}
    jobs = [
        job(world, person(world, 1, **wants)),
        job(world, person(world, 2, Lead_Status="Contacted", **wants)),
        job(world, person(world, 3)),
    ]
    answers = write_together(services, jobs)
    assert [answer.status for answer in answers] == [201, 201, 201]
    assert [answer.body["Stage"] for answer in answers] == ["Qualification"] * 2 + ["Lead"]
    assert len(statements) == 1
    with db.session_scope() as session:
        kept = session.scalars(select(Qualification)).all()
        assert sorted(str(q.id) for q in kept) == sorted(
            answers[n].body["Qualification_Id"] for n in (0, 1)
        )
        assert {(q.price_min, q.price_max, q.room_min) for q in kept} == {(100000, 250000, 2)}
        contact = session.get(Contact, UUID(answers[1].body["Contact_Id"]))
        assert contact is not None and contact.search_profile is not None
        assert contact.search_profile["price_max"] == 250000
    assert count(db, Lead) == 3


def test_a_known_contact_takes_the_search_profile_of_a_qualified_lead_in_a_group(
    services: pipeline.Services, db: Database, world: World
) -> None:
    earlier = contacted_earlier(services, db, world, 1)
    with db.session_scope() as session:
        contact = session.get(Contact, UUID(earlier.body["Contact_Id"]))
        assert contact is not None and contact.search_profile is None
        stamped = contact.updated_at
    jobs = [
        job(world, person(world, 1, Lead_Status="Contacted", Price_Max=300000)),
        job(world, person(world, 2, Lead_Status="Contacted")),
    ]
    answers = write_together(services, jobs)
    assert [answer.body["Contact_Operation"] for answer in answers] == ["matched", "created"]
    with db.session_scope() as session:
        matched = session.get(Contact, UUID(earlier.body["Contact_Id"]))
        assert matched is not None and matched.search_profile == {"price_max": 300000}
        assert matched.updated_at > stamped
        created = session.get(Contact, UUID(answers[1].body["Contact_Id"]))
        assert created is not None
        assert session.scalar(
            select(Contact.id).where(Contact.id == created.id, Contact.search_profile.is_(None))
        )


def test_ranges_that_do_not_hold_refuse_only_their_request(
    services: pipeline.Services, db: Database, world: World
) -> None:
    jobs = [
        job(world, person(world, 1, Price_Min=100000, Price_Max=250000)),
        job(world, person(world, 2, Price_Min=300000, Price_Max=200000)),
        job(world, person(world, 3)),
    ]
    answers = write_together(services, jobs)
    assert [answer.status for answer in answers] == [201, 422, 201]
    assert answers[1].body["Error"]["Fields"][0]["Field"] == "Price_Max"
    assert count(db, Lead) == 2
    assert count(db, Qualification) == 1


def test_a_person_with_an_open_lead_is_answered_on_it_and_the_others_are_created(
    services: pipeline.Services, db: Database, world: World
) -> None:
    first = write_together(services, [job(world, person(world, 1))])[0]
    again = person(world, 1, Message="Can I visit on Saturday?")
    answers = write_together(
        services, [job(world, person(world, n)) for n in (2, 3)] + [job(world, again)]
    )
    assert [answer.status for answer in answers] == [201, 201, 200]
    assert answers[2].body["Lead_Id"] == first.body["Lead_Id"]
    assert count(db, Lead) == 3


def test_new_archived_leads_are_written_together_and_an_archived_one_is_found_again(
    services: pipeline.Services, db: Database, world: World
) -> None:
    """An `Archived` request for a person without a lead creates an archived lead; when
    that person already has one, archiving again finds it instead of adding a second."""
    first = write_together(services, [job(world, person(world, 1, Lead_Status="Archived"))])[0]
    statements = lead_inserts(services.database)
    archiving = [job(world, person(world, n, Lead_Status="Archived")) for n in (1, 2, 3)]
    answers = write_together(services, archiving)
    assert [answer.status for answer in answers] == [200, 201, 201]
    assert answers[0].body["Lead_Id"] == first.body["Lead_Id"]
    assert [answer.body["Lead_Status"] for answer in answers] == ["Archived"] * 3
    assert len(statements) == 1
    assert count(db, Lead) == 3


def test_an_idempotent_request_keeps_its_key_and_its_person_is_not_created_twice(
    services: pipeline.Services, db: Database, world: World
) -> None:
    jobs = [
        job(world, person(world, 1), key="key-1"),
        job(world, person(world, 2)),
        job(world, person(world, 3)),
        job(world, person(world, 4), key="key-4"),
        job(world, person(world, 4)),
    ]
    answers = write_together(services, jobs)
    assert [answer.status for answer in answers] == [201, 201, 201, 201, 200]
    assert answers[4].body["Lead_Id"] == answers[3].body["Lead_Id"]
    replay = write_together(services, [job(world, person(world, 1), key="key-1")])[0]
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.body == answers[0].body
    assert count(db, Lead) == 4


def test_external_ids_are_per_integrator_within_a_group(
    services: pipeline.Services, db: Database, world: World
) -> None:
    other = make_credential(db, agency=world.agency)
    mine = person(world, 1, External_LeadId="P-1")
    theirs = person(world, 2, External_LeadId="P-1")
    mine_again = person(world, 3, External_LeadId="P-1")
    call = Caller(other.username, other.token, "tests").call("leads")
    answers = write_together(
        services,
        [job(world, mine), Job(call, theirs, LeadWork(call, theirs, "PT")), job(world, mine_again)],
    )
    assert [answer.status for answer in answers] == [201, 201, 200]
    assert answers[2].body["Lead_Id"] == answers[0].body["Lead_Id"]
    assert answers[1].body["Lead_Id"] != answers[0].body["Lead_Id"]
    assert count(db, Lead) == 2


def test_a_rate_limited_request_of_a_group_is_refused_and_writes_nothing(
    db: Database, world: World
) -> None:
    settings = db.settings.model_copy(
        update={"rate_limit_per_second": 0.001, "rate_limit_burst": 2}
    )
    services = create_app(settings).state.services
    answers = write_together(services, [job(world, person(world, n)) for n in range(3)])
    assert [answer.status for answer in answers] == [201, 201, 429]
    assert answers[0].headers["RateLimit-Remaining"] == "1"
    assert count(db, Lead) == 2


def send_twelve_at_once(db: Database, settings: Settings) -> list[object]:
    """Twelve requests at once, over HTTP into the app: each answered; the commits made."""
    world = make_world(db)
    app = create_app(settings)
    commits: list[object] = []
    event.listen(app.state.services.database.engine, "commit", commits.append)

    async def send_all() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await asyncio.gather(
                *(
                    client.post(
                        ENDPOINT,
                        params=world.caller.params(),
                        headers=world.caller.headers(),
                        json=person(world, n),
                    )
                    for n in range(12)
                )
            )

    responses = asyncio.run(send_all())
    assert [response.status_code for response in responses] == [201] * 12
    assert len({response.json()["Lead_Id"] for response in responses}) == 12
    assert count(db, Lead) == 12
    return commits


def test_requests_that_wait_for_the_writer_share_a_commit(db: Database) -> None:
    commits = send_twelve_at_once(db, Settings(database_url=db.settings.database_url))
    assert len(commits) < 12


def test_with_grouping_off_every_request_commits_on_its_own(db: Database) -> None:
    settings = Settings(database_url=db.settings.database_url, group_writes=False)
    assert len(send_twelve_at_once(db, settings)) == 12


def follow_up_world(services: pipeline.Services, db: Database) -> tuple[World, Caller]:
    """People 1-13 with leads in each state a follow-up can find, written one at a time;
    and a second integrator, whose leads persons 7 and 12 have, and who sent person 13
    again with an External_LeadId of its own."""
    world = make_world(db)
    other = make_credential(db, agency=world.agency)
    contacted_earlier(services, db, world, 4)
    theirs = person(world, 7)
    call = Caller(other.username, other.token, "tests").call("leads")
    theirs_12 = person(world, 12)
    theirs_13 = person(world, 13, External_LeadId="x-13")
    before = [
        job(world, person(world, 1, Lead_Status="Contacted", Price_Min=100000, Price_Max=200000)),
        job(world, person(world, 2, Price_Min=100000)),
        job(world, person(world, 3, External_LeadId="x-3")),
        job(world, person(world, 4)),
        job(world, person(world, 5, Lead_Status="Contacted")),
        job(world, person(world, 6)),
        Job(call, theirs, LeadWork(call, theirs, "PT")),
        job(world, person(world, 9)),
        job(world, person(world, 10)),
        job(world, person(world, 11, External_LeadId="x-11")),
        Job(call, theirs_12, LeadWork(call, theirs_12, "PT")),
        job(world, person(world, 13)),
    ]
    for one in before:
        assert write_together(services, [one])[0].status == 201
    again = Job(call, theirs_13, LeadWork(call, theirs_13, "PT"))
    assert write_together(services, [again])[0].body["Warnings"]
    return world, other


def follow_ups(world: World) -> list[Job]:
    return [
        # Backwards: a warning; the qualification merged; the contact's profile follows it.
        job(world, person(world, 1, Price_Max=150000)),
        # Contacted: a contact created, with the merged qualification as its profile.
        job(world, person(world, 2, Lead_Status="Contacted", Room_Min=2)),
        job(world, person(world, 3, Lead_Status="Contacted", External_LeadId="x-3")),
        # Contacted: linked to the contact made on another listing.
        job(world, person(world, 4, Lead_Status="Contacted")),
        # The same request again: nothing changes.
        job(world, person(world, 5, Lead_Status="Contacted")),
        # Merged ranges that do not hold: refused.
        job(world, person(world, 6, Price_Min=500000, Price_Max=100000)),
        # Another integrator's lead: this one may see it from now on.
        job(world, person(world, 7, Lead_Status="Contacted")),
        job(world, person(world, 8, Lead_Status="Contacted")),
        job(world, person(world, 9, Lead_Status="Archived")),
        # The first External_LeadId for an open lead: the lead takes it.
        job(world, person(world, 10, Lead_Status="Contacted", External_LeadId="x-10")),
        # A new External_LeadId for a lead known by another: a warning.
        job(world, person(world, 11, Lead_Status="Contacted", External_LeadId="x-11b")),
        # An External_LeadId for another integrator's lead: a warning.
        job(world, person(world, 12, Lead_Status="Contacted", External_LeadId="x-12")),
        # What the other integrator sent, now from the lead's own: the lead takes the ID,
        # and nothing else changes.
        job(world, person(world, 13, External_LeadId="x-13")),
    ]


def outline(answer: pipeline.Answer) -> tuple[object, ...]:
    """An answer without the IDs and names that differ from one world to another."""
    body = answer.body
    if answer.status >= 400:
        return (answer.status, body)
    return (
        answer.status,
        body["Lead_Status"],
        body["Stage"],
        body["Operation"],
        body["Contact_Operation"],
        body["Contact_Id"] is not None,
        body["Qualification_Id"] is not None,
        body["External_LeadId"],
        tuple(body["Warnings"]),
    )


def state(db: Database) -> dict[str, list[tuple[object, ...]]]:
    """Every row the requests wrote, by person, without IDs, times and fingerprints (the
    listing's reference, which differs from one world to another, is in them)."""
    with db.session_scope() as session:
        leads = {lead.id: lead for lead in session.scalars(select(Lead))}
        contacts = {contact.id: contact for contact in session.scalars(select(Contact))}
        email = {lead_id: lead.email for lead_id, lead in leads.items()}
        return {
            "leads": sorted(
                (
                    lead.email,
                    lead.status,
                    lead.stage,
                    lead.external_id,
                    lead.message,
                    contacts[lead.contact_id].email if lead.contact_id else None,
                    lead.contacted_at is not None,
                    lead.archived_at is not None,
                )
                for lead in leads.values()
            ),
            "contacts": sorted(
                (contact.email, repr(sorted((contact.search_profile or {}).items())))
                for contact in contacts.values()
            ),
            "qualifications": sorted(
                (email[row.lead_id], *(repr(getattr(row, name)) for name in PROFILE))
                for row in session.scalars(select(Qualification))
            ),
            "links": sorted((email[link.lead_id],) for link in session.scalars(select(LeadLink))),
            "activity": sorted(
                (
                    email[row.lead_id],
                    row.kind,
                    row.status_before,
                    row.status_after,
                    repr(sorted(row.changes.items())),
                )
                for row in session.scalars(select(LeadActivity))
            ),
        }


def change_numbers(db: Database) -> dict[UUID, tuple[str, int]]:
    with db.session_scope() as session:
        rows = session.execute(select(Lead.id, Lead.email, Lead.change_seq))
        return {lead_id: (email, number) for lead_id, email, number in rows}


def test_follow_ups_in_a_group_leave_what_they_leave_one_at_a_time(
    services: pipeline.Services, db: Database
) -> None:
    world, _ = follow_up_world(services, db)
    numbers = change_numbers(db)
    together = [outline(answer) for answer in write_together(services, follow_ups(world))]
    written_together = state(db)
    renumbered = change_numbers(db)

    empty_tables(db)
    world, _ = follow_up_world(services, db)
    alone = [
        outline(pipeline.write(services, one.call, one.body, one.work)) for one in follow_ups(world)
    ]

    assert together == alone
    assert written_together == state(db)
    assert [answer[0] for answer in together] == [200] * 5 + [422, 200, 201] + [200] * 5
    changed = {f"person{n}@example.com" for n in (1, 2, 3, 4, 7, 9, 10, 11, 12)}
    assert {
        email for lead_id, (email, number) in numbers.items() if renumbered[lead_id][1] > number
    } == changed


def statement_heads(services: pipeline.Services) -> list[str]:
    """The first three words of every statement the service runs from now on, upper-cased."""
    seen: list[str] = []

    def keep(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(" ".join(statement.split()[:3]).upper())

    event.listen(services.database.engine, "before_cursor_execute", keep)
    return seen


def test_follow_ups_of_distinct_people_are_written_with_one_update(
    services: pipeline.Services, db: Database, world: World
) -> None:
    for n in range(5):
        assert write_together(services, [job(world, person(world, n))])[0].status == 201
    seen = statement_heads(services)
    jobs = [job(world, person(world, n, Lead_Status="Contacted")) for n in range(5)]
    answers = write_together(services, jobs)
    assert [(a.status, a.body["Contact_Operation"]) for a in answers] == [(200, "created")] * 5
    assert seen.count("UPDATE LEADS SET") == 1
    assert not [statement for statement in seen if statement.startswith("SAVEPOINT")]
    assert count(db, Contact) == 5


def test_first_external_ids_of_open_leads_are_taken_in_the_one_update(
    services: pipeline.Services, db: Database, world: World
) -> None:
    for n in range(3):
        assert write_together(services, [job(world, person(world, n))])[0].status == 201
    seen = statement_heads(services)
    jobs = [
        job(world, person(world, n, Lead_Status="Contacted", External_LeadId=f"x-{n}"))
        for n in range(3)
    ]
    answers = write_together(services, jobs)
    assert [(a.status, a.body["External_LeadId"]) for a in answers] == [
        (200, f"x-{n}") for n in range(3)
    ]
    assert seen.count("UPDATE LEADS SET") == 1
    assert not [statement for statement in seen if statement.startswith("SAVEPOINT")]
    with db.session_scope() as session:
        named = session.scalars(select(Lead.external_id).order_by(Lead.email)).all()
    assert named == ["x-0", "x-1", "x-2"]


def test_a_group_of_new_leads_reads_nothing_for_follow_ups(
    services: pipeline.Services, world: World
) -> None:
    seen: list[str] = []

    def keep(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(services.database.engine, "before_cursor_execute", keep)
    answers = write_together(services, [job(world, person(world, n)) for n in range(3)])
    assert [answer.status for answer in answers] == [201] * 3
    assert not [statement for statement in seen if "FROM qualifications" in statement]
