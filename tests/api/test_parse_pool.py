"""Large batches validated in a helper process answer exactly as if validated in-process."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from maxwork_leads.api import batch as batch_api
from maxwork_leads.api.parse_pool import MIN_ITEMS, ParsePool
from maxwork_leads.app import create_app
from maxwork_leads.cli.main import batch_helpers
from maxwork_leads.db import Database
from maxwork_leads.errors import AppError
from maxwork_leads.leads import schemas
from maxwork_leads.leads.parsing import parse_each
from maxwork_leads.leads.schemas import LeadIn
from maxwork_leads.settings import Settings
from tests.factories import Caller, lead_body, make_world


def mixed_items(reference: str = "REF", tag: str = "p") -> list[Any]:
    """Valid leads, and the kinds of item that fail or warn, spread through a large batch;
    `tag` makes the people new ones."""

    def one(n: int, **fields: Any) -> dict[str, Any]:
        person = {"Sender_Email": f"{tag}{n}@example.com", **fields}
        return lead_body(Public_Reference=reference, **person)

    items: list[Any] = [one(n) for n in range(MIN_ITEMS + 10)]
    items[3] = one(3, Sender_Email="not-an-email")
    items[7] = "not an object"
    items[11] = one(11, Sender_Phone="(0) 12-34-56", Extra_Field=1)
    items[15] = one(15, Price_Min=-1, Lead_Status="Qualified")
    items[20] = one(20, Sender_Email=f"Ana.{tag.upper()}@Example.COM")
    return items


def described(item: LeadIn | AppError) -> Any:
    """Everything later steps read from a parsed item, as comparable values."""
    if isinstance(item, AppError):
        return (type(item), item.code, item.message, item.fields)
    return (item.model_dump(), item.model_extra, item.model_fields_set, item.phone("PT"))


@pytest.fixture(scope="module")
def pool() -> Iterator[ParsePool]:
    helpers = ParsePool(1, "PT")
    asyncio.run(helpers.start())
    yield helpers
    helpers.close()


def test_the_helpers_give_what_parsing_in_process_gives(pool: ParsePool) -> None:
    items = mixed_items()
    pooled = asyncio.run(pool.parse(items))
    assert pooled is not None
    assert [described(item) for item in pooled] == [
        described(item) for item in parse_each(items, "PT")
    ]


def test_the_helpers_send_each_lead_digested(
    pool: ParsePool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The digest that recognises a repeat is computed in the helper, not again here."""
    expected = [
        item.digest(item.phone("PT"))
        for item in parse_each(mixed_items(), "PT")
        if isinstance(item, LeadIn)
    ]
    pooled = asyncio.run(pool.parse(mixed_items()))
    assert pooled is not None

    def refuse(values: Any) -> str:
        raise AssertionError("digested again in the server process")

    monkeypatch.setattr(schemas, "fingerprint", refuse)
    leads = [item for item in pooled if isinstance(item, LeadIn)]
    assert [lead.digest(lead.phone("PT")) for lead in leads] == expected


def test_small_batches_and_other_bodies_are_left_to_the_caller(pool: ParsePool) -> None:
    assert asyncio.run(pool.parse(mixed_items()[: MIN_ITEMS - 1])) is None
    assert asyncio.run(pool.parse({"Sender_Email": "a@example.com"})) is None


def test_a_dead_helper_is_replaced_and_its_batch_left_to_the_caller() -> None:
    others = set(multiprocessing.active_children())
    helpers = ParsePool(1, "PT")
    try:
        asyncio.run(helpers.start())
        for child in set(multiprocessing.active_children()) - others:
            os.kill(child.pid or 0, signal.SIGKILL)
            child.join(5)
        assert asyncio.run(helpers.parse(mixed_items())) is None
        again = asyncio.run(helpers.parse(mixed_items()))
        assert again is not None and len(again) == len(mixed_items())
    finally:
        helpers.close()


def test_the_batch_endpoint_answers_the_same_with_helpers(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the caller's credential is known, its large batches are validated by the
    helpers: with in-process parsing made to fail, the answer is still the usual one."""
    world = make_world(db)
    auth = {"params": world.caller.params(), "headers": world.caller.headers()}
    reference = world.listing.public_reference

    def answer(settings: Settings, tag: str) -> list[Any]:
        with TestClient(create_app(settings)) as client:
            first = lead_body(Public_Reference=reference, Sender_Email=f"{tag}@example.com")
            assert client.post("/listingexport/leads", json=first, **auth).status_code == 201
            body = mixed_items(reference, tag)
            response = client.post("/listingexport/leads/batch", json=body, **auth)
        assert response.status_code == 207
        results = response.json()["Results"]
        for result in results:
            for key in ("Lead_Id", "Contact_Id", "Qualification_Id"):
                (result.get("Body") or {}).pop(key, None)
        return results  # type: ignore[no-any-return]

    in_process = answer(db.settings, "p")

    def refuse(*_: object) -> None:
        raise AssertionError("parsed in the server process")

    monkeypatch.setattr(batch_api, "parse_each", refuse)
    pooled = answer(db.settings.model_copy(update={"batch_validation_processes": 1}), "q")
    assert pooled == in_process
    assert [r["Status"] for r in pooled].count(422) == 3


def test_a_callers_first_batch_is_validated_by_the_helpers(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server process that has never authenticated the caller itself (with a write
    process, it never does) reads the credential, and the helpers validate the batch."""
    world = make_world(db)
    auth = {"params": world.caller.params(), "headers": world.caller.headers()}

    def refuse(*_: object) -> None:
        raise AssertionError("parsed in the server process")

    monkeypatch.setattr(batch_api, "parse_each", refuse)
    settings = db.settings.model_copy(update={"batch_validation_processes": 1})
    with TestClient(create_app(settings)) as client:
        body = mixed_items(world.listing.public_reference)
        response = client.post("/listingexport/leads/batch", json=body, **auth)
    assert response.status_code == 207, response.text
    assert [r["Status"] for r in response.json()["Results"]].count(422) == 3


def test_a_batch_with_a_wrong_token_is_not_sent_to_the_helpers(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(db)
    caller = world.caller
    wrong = Caller(caller.username, caller.token + "x")

    async def refuse(*_: object) -> None:
        raise AssertionError("validated for a caller that did not prove itself")

    monkeypatch.setattr(ParsePool, "parse", refuse)
    settings = db.settings.model_copy(update={"batch_validation_processes": 1})
    with TestClient(create_app(settings)) as client:
        body = mixed_items(world.listing.public_reference)
        response = client.post(
            "/listingexport/leads/batch", json=body, params=wrong.params(), headers=wrong.headers()
        )
    assert response.status_code == 401


ORPHAN_PROBE = """
import asyncio, multiprocessing, time
from maxwork_leads.api.parse_pool import ParsePool
pool = ParsePool(1, "PT")
asyncio.run(pool.start())
print(*[child.pid for child in multiprocessing.active_children()], flush=True)
time.sleep(60)
"""


def test_helpers_exit_when_their_server_process_is_killed_outright() -> None:
    server = subprocess.Popen(
        [sys.executable, "-c", ORPHAN_PROBE], stdout=subprocess.PIPE, text=True
    )
    assert server.stdout is not None
    helpers = [int(pid) for pid in server.stdout.readline().split()]
    assert helpers
    server.kill()
    server.wait()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(alive(pid) for pid in helpers):
        time.sleep(0.2)
    assert not any(alive(pid) for pid in helpers)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_serve_gives_each_server_process_a_helper_only_when_a_core_is_idle() -> None:
    assert batch_helpers(cores=2, workers=1) == 1
    assert batch_helpers(cores=2, workers=2) == 0
    assert batch_helpers(cores=1, workers=1) == 0


def test_an_error_in_a_helper_leaves_the_batch_to_the_caller(pool: ParsePool) -> None:
    """What the helper raised, the caller meets again in-process, inside the pipeline that
    answers and records it; the pool itself keeps working."""
    broken = mixed_items()
    broken[5] = {"Sender_Email": lambda: None}  # nothing a JSON body holds: cannot be sent
    assert asyncio.run(pool.parse(broken)) is None
    assert asyncio.run(pool.parse(mixed_items())) is not None
