"""The console's integration history: the list, its filters and pages, one request, its replay."""

from __future__ import annotations

import html
import itertools
import json
import os
import re
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from maxwork_leads.api.errors import error_body
from maxwork_leads.db import Database
from maxwork_leads.integration import history
from maxwork_leads.models import Credential, IntegrationRequest
from tests.api.helpers import post_lead
from tests.console.conftest import Console
from tests.factories import Caller, World, lead_body, make_world

ROW_LINK = re.compile(r'href="/console/history/([0-9a-f-]{36})"')
OLDER = re.compile(r'href="([^"]*)">Older')
NEWEST = re.compile(r'href="([^"]*)">&larr; Newest')
PRE = re.compile(r"<pre>(.*?)</pre>", re.S)


@dataclass
class Sent:
    """What the scenario sent: two integrators, each outcome the API can give."""

    ana: World
    bob: World
    ana_lead_id: str
    ana_failed_id: uuid.UUID  # a 422 without a lead, whose body carries Ana's email and phone
    bob_batch_lead_id: str


def body_for(world: World, **overrides: Any) -> dict[str, Any]:
    return lead_body(**{"Public_Reference": world.listing.public_reference, **overrides})


@pytest.fixture
def sent(client: TestClient, db: Database) -> Sent:
    ana, bob = make_world(db), make_world(db)
    created = post_lead(client, ana.caller, body_for(ana, External_LeadId="EXT-1"))
    assert created.status_code == 201
    assert post_lead(client, ana.caller, body_for(ana, External_LeadId="EXT-1")).status_code == 200
    failed = post_lead(client, ana.caller, body_for(ana, Lead_Status="Sold"))
    assert failed.status_code == 422
    failed_id = recorded(db)[0].id
    impostor = Caller(ana.caller.username, "not-the-token")
    assert post_lead(client, impostor, body_for(ana)).status_code == 401
    batch = client.post(
        "/listingexport/leads/batch",
        params=bob.caller.params(),
        headers=bob.caller.headers(),
        json=[
            body_for(bob, Sender_Email="bob@example.com", Sender_Phone="+351 933 111 222"),
            body_for(bob, Sender_Email="not-an-email"),
        ],
    )
    assert batch.status_code == 207
    return Sent(
        ana,
        bob,
        created.json()["Lead_Id"],
        failed_id,
        batch.json()["Results"][0]["Body"]["Lead_Id"],
    )


def recorded(db: Database) -> list[IntegrationRequest]:
    """Every history row, newest first."""
    with db.session_scope() as session:
        rows = session.scalars(select(IntegrationRequest).order_by(IntegrationRequest.id.desc()))
        return list(rows.all())


def listed(console: Console, **params: str) -> list[uuid.UUID]:
    """The request IDs the list shows, in its order."""
    answer = console.get("/console/history", params=params)
    assert answer.status_code == 200, answer.text
    return [uuid.UUID(found) for found in ROW_LINK.findall(answer.text)]


def expect(db: Database, keep: Any) -> list[uuid.UUID]:
    return [row.id for row in recorded(db) if keep(row)]


def credential_id(db: Database, caller: Caller) -> uuid.UUID:
    with db.session_scope() as session:
        return session.scalars(
            select(Credential.id).where(Credential.username == caller.username)
        ).one()


def test_the_list_shows_every_request_and_batch_item_newest_first(
    console: Console, db: Database, sent: Sent
) -> None:
    rows = recorded(db)
    assert len(rows) == 6  # 201, 200, 422, 401 and two batch items
    assert listed(console) == [row.id for row in rows]


def test_a_row_shows_its_facts_and_links_to_the_request(
    console: Console, db: Database, sent: Sent
) -> None:
    page = console.get("/console/history", params={"external_id": "EXT-1"}).text
    cells = re.findall(r"<td[^>]*>(.*?)</td>", page, re.S)
    text = [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells[:8]]
    assert text[1:7] == [sent.ana.caller.username, "leads", "200", "unchanged", "—", "EXT-1"]
    newest = recorded(db)[0]
    assert f'href="/console/history/{newest.id}"' in console.get("/console/history").text


def test_integrator_narrows_to_that_credentials_requests(
    console: Console, db: Database, sent: Sent
) -> None:
    bob = credential_id(db, sent.bob.caller)
    shown = listed(console, integrator=sent.bob.caller.username)
    assert shown == expect(db, lambda row: row.credential_id == bob)
    assert len(shown) == 2


def test_the_no_credential_choice_shows_requests_that_proved_none(
    console: Console, db: Database, sent: Sent
) -> None:
    shown = listed(console, integrator="(none)")
    assert shown == expect(db, lambda row: row.credential_id is None)
    assert [row.status_code for row in recorded(db) if row.id in shown] == [401]


@pytest.mark.parametrize(
    ("status", "keep"),
    [
        ("422", lambda code: code == 422),
        ("401", lambda code: code == 401),
        ("4xx", lambda code: 400 <= code < 500),
        ("2XX", lambda code: 200 <= code < 300),
    ],
)
def test_status_narrows_by_code_or_class(
    console: Console, db: Database, sent: Sent, status: str, keep: Any
) -> None:
    shown = listed(console, status=status)
    assert shown
    assert shown == expect(db, lambda row: keep(row.status_code))


def test_error_code_and_external_id_narrow(console: Console, db: Database, sent: Sent) -> None:
    by_code = listed(console, error_code="validation_error")
    assert by_code == expect(db, lambda row: row.error_code == "validation_error")
    assert len(by_code) == 2  # the single 422 and the batch's bad item
    by_external = listed(console, external_id="EXT-1")
    assert by_external == expect(db, lambda row: row.external_id == "EXT-1")
    assert len(by_external) == 2


def test_email_finds_the_leads_requests_and_failed_bodies_in_any_case(
    console: Console, db: Database, sent: Sent
) -> None:
    shown = listed(console, email="  ANA.Silva@Example.COM ")
    about_lead = expect(db, lambda row: str(row.lead_id) == sent.ana_lead_id)
    assert len(about_lead) == 2
    # The 401 never reached validation but is a failure without a lead: its body matches too.
    failures = expect(
        db,
        lambda row: (
            row.lead_id is None and row.status_code in (401, 422) and row.batch_index is None
        ),
    )
    assert sorted(shown) == sorted(about_lead + failures)
    assert shown == sorted(shown, reverse=True)


def test_phone_in_another_spelling_finds_the_leads_requests(
    console: Console, db: Database, sent: Sent
) -> None:
    shown = listed(console, phone="00351 933111222")
    assert shown == expect(db, lambda row: str(row.lead_id) == sent.bob_batch_lead_id)
    assert len(shown) == 1


def test_phone_as_typed_in_a_failed_body_finds_that_failure(
    console: Console, db: Database, sent: Sent
) -> None:
    shown = listed(console, phone="+351 912 345 678")
    ana_failures = expect(
        db, lambda row: row.lead_id is None and row.username == sent.ana.caller.username
    )
    assert len(ana_failures) == 2
    assert set(ana_failures) <= set(shown)
    assert set(expect(db, lambda row: str(row.lead_id) == sent.ana_lead_id)) <= set(shown)


def test_the_body_search_covers_the_last_30_days_unless_since_says_otherwise(
    console: Console, db: Database, sent: Sent
) -> None:
    old = datetime.now(UTC) - timedelta(days=45)
    with db.session_scope() as session:
        session.execute(
            update(IntegrationRequest)
            .where(IntegrationRequest.id == sent.ana_failed_id)
            .values(received_at=old)
        )
    page = console.get("/console/history", params={"email": "ana.silva@example.com"}).text
    assert str(sent.ana_failed_id) not in page
    assert "the last\n  30 days" in page
    since = (old - timedelta(days=1)).strftime("%Y-%m-%d")
    shown = listed(console, email="ana.silva@example.com", since=since)
    assert sent.ana_failed_id in shown


def test_since_and_until_narrow_to_the_time_range(
    console: Console, db: Database, sent: Sent
) -> None:
    second, first = recorded(db)[-2:]  # oldest last
    with db.session_scope() as session:
        for row, when in ((first, "2024-03-10T09:15:00"), (second, "2024-03-11T23:59:00")):
            moment = datetime.fromisoformat(when).replace(tzinfo=UTC)
            session.execute(
                update(IntegrationRequest)
                .where(IntegrationRequest.id == row.id)
                .values(received_at=moment)
            )
    assert listed(console, since="2024-03-10", until="2024-03-11") == [second.id, first.id]
    assert listed(console, since="2024-03-10T09:16", until="2024-03-12") == [second.id]
    assert listed(console, until="2024-03-10T09:16") == [first.id]
    assert len(listed(console, since="2024-03-12")) == 4


def test_filter_values_stay_in_the_form(console: Console, sent: Sent) -> None:
    page = console.get(
        "/console/history",
        params={
            "integrator": sent.ana.caller.username,
            "status": "4xx",
            "since": "2024-03-10",
            "email": "ana.silva@example.com",
        },
    ).text
    assert f'<option value="{sent.ana.caller.username}" selected>' in page
    assert 'name="status" value="4xx"' in page
    assert 'name="since" value="2024-03-10T00:00"' in page
    assert 'name="email" value="ana.silva@example.com"' in page


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"status": "abc"}, "status: a code such as 422"),
        ({"status": "99"}, "status: a code such as 422"),
        ({"since": "yesterday"}, "since: not a date"),
        ({"until": "2024-02-30"}, "until: not a date"),
        ({"since": "2024-03-02", "until": "2024-03-01"}, "since must be before until"),
        ({"before": "not-an-id"}, "before: not a request ID"),
        ({"integrator": "nobody-by-this-name"}, "no credential is named"),
        ({"phone": "12"}, "phone: not a phone number"),
    ],
)
def test_bad_filter_values_show_an_error_in_the_page(
    console: Console, sent: Sent, params: dict[str, str], message: str
) -> None:
    answer = console.get("/console/history", params=params)
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("text/html")
    assert '<p class="alert error">' in answer.text
    assert message in html.unescape(answer.text)
    assert not ROW_LINK.findall(answer.text)


def add_history(db: Database, caller: Caller, count: int) -> None:
    """Rows straight into the history table: the pages do not care how they were sent."""
    origin = history.Origin("leads", caller.username, "test", None, datetime.now(UTC), 1.0)
    entries = [history.Entry(201, "created", body="{}") for _ in range(count)]
    with db.session_scope() as session:
        history.record(session, origin, credential_id(db, caller), entries)


def walk(console: Console, path: str) -> tuple[list[list[uuid.UUID]], list[str]]:
    """Follow the Older links from `path`: the IDs of each page, and each page's HTML."""
    pages: list[list[uuid.UUID]] = []
    texts: list[str] = []
    while True:
        answer = console.get(path)
        assert answer.status_code == 200, answer.text
        pages.append([uuid.UUID(found) for found in ROW_LINK.findall(answer.text)])
        texts.append(answer.text)
        older = OLDER.search(answer.text)
        if older is None:
            return pages, texts
        path = html.unescape(older.group(1))
        assert len(pages) < 10


def test_pages_of_50_give_every_request_exactly_once(console: Console, db: Database) -> None:
    world = make_world(db)
    add_history(db, world.caller, 120)
    pages, texts = walk(console, "/console/history")
    assert [len(page) for page in pages] == [50, 50, 20]
    flat = [found for page in pages for found in page]
    assert flat == [row.id for row in recorded(db)]
    assert NEWEST.search(texts[0]) is None
    newest = NEWEST.search(texts[2])
    assert newest is not None
    assert html.unescape(newest.group(1)) == "/console/history"


def test_pagination_keeps_the_filters(console: Console, db: Database) -> None:
    ana, bob = make_world(db), make_world(db)
    add_history(db, ana.caller, 60)
    add_history(db, bob.caller, 70)
    pages, texts = walk(console, f"/console/history?integrator={bob.caller.username}")
    bob_id = credential_id(db, bob.caller)
    assert [len(page) for page in pages] == [50, 20]
    assert [found for page in pages for found in page] == expect(
        db, lambda row: row.credential_id == bob_id
    )
    newest = NEWEST.search(texts[1])
    assert newest is not None
    assert html.unescape(newest.group(1)) == f"/console/history?integrator={bob.caller.username}"


def detail(console: Console, request_id: uuid.UUID) -> str:
    answer = console.get(f"/console/history/{request_id}")
    assert answer.status_code == 200, answer.text
    return html.unescape(answer.text)


def test_the_detail_shows_the_facts_and_the_body_without_the_token(
    console: Console, client: TestClient, db: Database
) -> None:
    world = make_world(db)
    token = world.caller.token
    body = body_for(world, External_LeadId="EXT-9", token=token, Message=f"my token is {token}")
    answer = post_lead(
        client, world.caller, body, **{"User-Agent": "crm-sync/3", "Idempotency-Key": "key-9"}
    )
    assert answer.status_code == 201
    row = recorded(db)[0]
    page = detail(console, row.id)
    assert token not in page
    assert '"Message": "my token is [redacted]"' in page  # pretty-printed JSON
    assert '"token": "[redacted]"' in page
    for fact in ("crm-sync/3", "key-9", "EXT-9", world.caller.username, "HTTP 201 Created"):
        assert fact in page
    lead_id = answer.json()["Lead_Id"]
    assert f'href="/console/leads/{lead_id}"' in page


def test_the_detail_of_a_422_shows_the_error_body_as_sent(
    console: Console, db: Database, sent: Sent
) -> None:
    row = next(r for r in recorded(db) if r.id == sent.ana_failed_id)
    page = detail(console, row.id)
    assert "HTTP 422 Unprocessable Entity" in page
    rebuilt = json.dumps(error_body("validation_error", row.error_message or "", None), indent=2)
    assert rebuilt in page
    assert "/console/leads/" not in page


def test_a_body_that_is_not_json_is_shown_as_text(
    console: Console, client: TestClient, db: Database
) -> None:
    world = make_world(db)
    client.post(
        "/listingexport/leads",
        params=world.caller.params(),
        headers=world.caller.headers(**{"Content-Type": "application/json"}),
        content=b"{not <json>",
    )
    answer = console.get(f"/console/history/{recorded(db)[0].id}")
    assert "{not &lt;json&gt;" in answer.text
    assert "HTTP 400 Bad Request" in answer.text


@pytest.mark.parametrize("request_id", ["7d1c6a52-3f0e-4b8a-9c2d-5e6f7a8b9c0d", "not-an-id"])
def test_an_unknown_or_malformed_id_is_a_404_page(
    console: Console, sent: Sent, request_id: str
) -> None:
    answer = console.get(f"/console/history/{request_id}")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "Not found" in answer.text


def run_curl(page: str, token: str) -> list[str]:
    """The replay command run by a real shell, with `curl` swapped for a printer of its
    arguments: proof that the quoting survives any body."""
    command = next(block for block in PRE.findall(page) if block.startswith("curl "))
    printer = f"{sys.executable} -c 'import json, sys; print(json.dumps(sys.argv[1:]))'"
    script = f'curl() {{ {printer} "$@"; }}\n{command}\n'
    done = subprocess.run(
        ["bash", "-c", script],
        env={"PATH": os.environ.get("PATH", ""), "MAXWORK_TOKEN": token},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def send_replay(client: TestClient, args: list[str]) -> Any:
    """POST what the curl arguments say, through the app."""
    assert args[:4] == ["-sS", "-i", "-X", "POST"]
    url = args[4]
    headers = dict(value.split(": ", 1) for flag, value in itertools.pairwise(args) if flag == "-H")
    body = args[args.index("--data-binary") + 1]
    path = url.removeprefix("http://testserver")
    return client.post(path, headers=headers, content=body.encode())


def test_the_curl_command_replays_the_request_to_the_same_outcome(
    console: Console, client: TestClient, db: Database
) -> None:
    world = make_world(db)
    message = 'It\'s $(touch /tmp/pwned) `id` "quoted" \\ and ünïcode'
    first = post_lead(client, world.caller, body_for(world, Message=message))
    assert first.status_code == 201
    row = recorded(db)[0]
    args = run_curl(detail(console, row.id), world.caller.token)
    assert args[4] == f"http://testserver/listingexport/leads?token={world.caller.token}"
    assert args[args.index("--data-binary") + 1] == row.body
    again = send_replay(client, args)
    assert again.status_code == 200
    assert again.json()["Operation"] == "unchanged"
    assert again.json()["Lead_Id"] == first.json()["Lead_Id"]


def test_the_replay_keeps_the_idempotency_key(
    console: Console, client: TestClient, db: Database
) -> None:
    world = make_world(db)
    first = post_lead(client, world.caller, body_for(world), **{"Idempotency-Key": "k-77"})
    args = run_curl(detail(console, recorded(db)[0].id), world.caller.token)
    assert "Idempotency-Key: k-77" in args
    again = send_replay(client, args)
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


def test_a_batch_item_replays_alone_to_the_single_endpoint(
    console: Console, client: TestClient, db: Database, sent: Sent
) -> None:
    item = next(row for row in recorded(db) if row.batch_index == 0)
    args = run_curl(detail(console, item.id), sent.bob.caller.token)
    assert args[4].startswith("http://testserver/listingexport/leads?")
    assert json.loads(args[args.index("--data-binary") + 1])["Sender_Email"] == "bob@example.com"
    again = send_replay(client, args)
    assert again.status_code == 200
    assert again.json()["Lead_Id"] == sent.bob_batch_lead_id


def test_a_failed_request_replays_to_the_same_error(
    console: Console, client: TestClient, db: Database, sent: Sent
) -> None:
    args = run_curl(detail(console, sent.ana_failed_id), sent.ana.caller.token)
    again = send_replay(client, args)
    assert again.status_code == 422
    assert again.json()["Error"]["Code"] == "validation_error"
