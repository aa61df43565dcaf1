"""SQLite's write process answers every request it is sent, in its place, exactly once."""

from __future__ import annotations

import asyncio
import os
import pickle
import signal
import socket
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from maxwork_leads.api import pipeline
from maxwork_leads.api.grouped import Job, Refusal
from maxwork_leads.api.lead_work import LeadWork
from maxwork_leads.api.write_process import HEADER, Frames, WriteProcess, frame
from maxwork_leads.db import Database
from maxwork_leads.errors import UnsupportedMediaType
from maxwork_leads.models import IntegrationRequest, Lead
from tests.api.test_write_together import count, job, person
from tests.factories import World


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """The write process is SQLite's."""
    return sqlite_url


def test_each_answer_reaches_the_request_it_answers(
    db: Database, world: World, services: pipeline.Services
) -> None:
    bodies = [person(world, n, External_LeadId=f"ext-{n}") for n in range(40)]
    bodies[7]["Sender_Email"] = "not an email"

    async def send_all() -> list[pipeline.Answer]:
        helper = WriteProcess(db.settings)
        await helper.start()
        try:
            return await asyncio.gather(*(helper.write(services, job(world, b)) for b in bodies))
        finally:
            await helper.close()

    answers = asyncio.run(send_all())

    assert answers[7].status == 422
    assert answers[7].body["Error"]["Fields"][0]["Field"] == "Sender_Email"
    for n, answer in enumerate(answers):
        if n != 7:
            assert (answer.status, answer.body["External_LeadId"]) == (201, f"ext-{n}")
    assert count(db, Lead) == 39


def test_a_refused_body_is_recorded_by_the_helper_between_the_writes(
    db: Database, world: World, services: pipeline.Services
) -> None:
    """A request refused before its body was read writes its history entry too; the
    helper, the only writer, records it, so that the server process never waits for
    the helper's lock."""
    first, last = job(world, person(world, 1)), job(world, person(world, 2))
    refusal = Refusal(first.call, UnsupportedMediaType("Content-Type must be JSON"), None)

    async def send_all() -> list[pipeline.Answer]:
        helper = WriteProcess(db.settings)
        await helper.start()
        try:
            return list(
                await asyncio.gather(*(helper.write(services, j) for j in (first, refusal, last)))
            )
        finally:
            await helper.close()

    answers = asyncio.run(send_all())

    assert [answer.status for answer in answers] == [201, 415, 201]
    assert answers[1].body["Error"]["Code"] == "unsupported_media_type"
    with db.session_scope() as session:
        statuses = session.scalars(
            select(IntegrationRequest.status_code).order_by(IntegrationRequest.id)
        ).all()
        refused = session.scalars(
            select(IntegrationRequest).where(IntegrationRequest.status_code == 415)
        ).one()
    assert sorted(statuses) == [201, 201, 415]
    assert refused.username == world.caller.username and refused.credential_id is not None
    assert count(db, Lead) == 2


def test_a_request_the_dead_helper_never_answered_gets_a_500_and_a_new_helper_writes_on(
    db: Database, world: World, services: pipeline.Services
) -> None:
    async def scenario() -> tuple[pipeline.Answer, pipeline.Answer, int | None, int | None]:
        helper = WriteProcess(db.settings)
        await helper.start()
        first = helper.pid
        assert first is not None
        try:
            os.kill(first, signal.SIGSTOP)  # it takes nothing more, and answers nothing
            waiting = asyncio.create_task(helper.write(services, job(world, person(world, 1))))
            await asyncio.sleep(0.2)
            os.kill(first, signal.SIGKILL)
            lost = await waiting
            after = await helper.write(services, job(world, person(world, 2)))
            return lost, after, first, helper.pid
        finally:
            await helper.close()

    lost, after, first, second = asyncio.run(scenario())

    assert lost.status == 500
    assert "whether it was written is unknown" in lost.body["Error"]["Message"]
    assert after.status == 201
    assert second not in (None, first)
    assert count(db, Lead) == 1


def test_the_helper_keeps_the_rate_limiter_state_it_is_asked_about(db: Database) -> None:
    async def hits() -> list[tuple[bool, float, float] | None]:
        helper = WriteProcess(db.settings)
        await helper.start()
        try:
            return [helper.hit("credential", 100.0, 2) for _ in range(3)]
        finally:
            await helper.close()

    allowed = [hit[0] for hit in asyncio.run(hits()) if hit is not None]

    assert allowed == [True, True, False]


def test_frames_come_whole_however_the_bytes_arrive() -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        frames = Frames(ours)
        first, second = frame({"n": 1}), frame(["x" * 5000])
        theirs.sendall(first + second[:10])
        assert pickle.loads(frames.next(wait=False) or b"") == {"n": 1}
        assert frames.next(wait=False) is None  # only the start of the second has come
        theirs.sendall(second[10:])
        assert pickle.loads(frames.next(wait=True) or b"") == ["x" * 5000]
        theirs.close()
        with pytest.raises(EOFError):
            frames.next(wait=True)


def test_a_frame_is_its_pickle_after_its_length() -> None:
    data = frame("ready")
    assert HEADER.unpack_from(data)[0] == len(data) - HEADER.size
    assert pickle.loads(data[HEADER.size :]) == "ready"


@pytest.mark.parametrize(
    "received_at",
    [
        datetime(2026, 12, 5, 8, 30, 1, 999_999, tzinfo=UTC),
        datetime(2026, 12, 5, 10, 30, 1, 1, tzinfo=timezone(timedelta(hours=2))),
        datetime(2026, 12, 5, 8, 30, 1),
    ],
    ids=["utc", "other zone", "naive"],
)
def test_a_job_arrives_as_it_was_sent(received_at: datetime) -> None:
    """Requests reach the write process pickled, one lead's write as plain values: every
    field of the call, down to the microsecond and the zone of when it was received,
    must come out as it went in."""
    call = pipeline.Call("leads", "user", "token", "agent", "key-1", received_at, started=12.5)
    body = {"Sender_Email": "ana@example.com", "Price_Min": 100_000}
    job = Job(call, body, LeadWork(call, body, "PT"))

    arrived = pickle.loads(frame(job)[HEADER.size :])

    assert arrived == job
    assert arrived.call.received_at.utcoffset() == received_at.utcoffset()
    assert isinstance(arrived.work, LeadWork) and arrived.work.call is arrived.call


def test_a_refusal_arrives_as_it_was_sent() -> None:
    at = datetime(2026, 12, 5, 8, 30, 1, 123_456, tzinfo=UTC)
    failure = UnsupportedMediaType("Content-Type must be JSON")
    refusal = Refusal(pipeline.Call("leads", "u", "t", None, None, at), failure, "x")

    arrived = pickle.loads(frame(refusal)[HEADER.size :])

    assert isinstance(arrived, Refusal)
    assert (arrived.call, arrived.body_text) == (refusal.call, "x")
    assert (type(arrived.failure), arrived.failure.message) == (type(failure), failure.message)
