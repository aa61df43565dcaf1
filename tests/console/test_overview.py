"""The overview page: recent leads per integrator, error rates, latest failures and totals."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from maxwork_leads.console.queries import overview as queries
from maxwork_leads.credentials import service as credentials
from maxwork_leads.db import Database
from maxwork_leads.integration import history
from maxwork_leads.models import IntegrationRequest
from tests.api.helpers import ENDPOINT, post_lead
from tests.console.conftest import Console
from tests.factories import DROP, Caller, World, lead_body, make_credential, make_world

PAGE = "/console/"


@pytest.fixture
def world(db: Database) -> World:
    return make_world(db)


@pytest.fixture
def other(db: Database, world: World) -> Caller:
    """A second integrator sending leads for the same agency."""
    return make_credential(db, agency=world.agency, username="homes-portal")


def send(client: TestClient, caller: Caller, world: World, n: int, **overrides: object) -> int:
    body = lead_body(
        **{
            "Public_Reference": world.listing.public_reference,
            "Sender_Email": f"person{n}@example.com",
            **overrides,
        }
    )
    return post_lead(client, caller, body).status_code


def failure_ids(db: Database) -> list[str]:
    with db.session_scope() as session:
        return [
            str(i)
            for i in session.scalars(
                select(IntegrationRequest.id)
                .where(IntegrationRequest.status_code >= 400)
                .order_by(IntegrationRequest.id.desc())
            )
        ]


def fact(html: str, name: str) -> str:
    found = re.search(rf'<dd id="{name}">(?:<a [^>]*>)?([^<]*)', html)
    assert found, f"no {name} on the page"
    return found.group(1)


def integrator_row(html: str, username: str) -> str:
    found = re.search(rf"<tr>\s*<td><a [^>]*>{re.escape(username)}</a></td>.*?</tr>", html, re.S)
    assert found, f"no error-rate row for {username}"
    return found.group(0)


def numbers(row: str) -> list[str]:
    """The numeric cells of a table row: requests, 4xx, 5xx, failure rate."""
    return re.findall(r'<td class="num">(?:<a [^>]*>)?([^<]+)', row)


def record(
    db: Database, at: datetime, status: int, *, username: str = "portal", message: str = ""
) -> None:
    """A history row at a chosen time, as the pipeline writes it."""
    origin = history.Origin("leads", username, None, None, received_at=at)
    entry = history.Entry(status, "error" if status >= 400 else "created", error_message=message)
    with db.session_scope() as session:
        history.record(session, origin, None, [entry])


def test_the_overview_requires_sign_in(client: TestClient) -> None:
    answer = client.get(PAGE, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/login?next=/console/"


def test_an_empty_database_renders_with_nothing_to_show(console: Console) -> None:
    answer = console.get(PAGE)
    assert answer.status_code == 200
    assert "No leads received in the last 30 days." in answer.text
    assert "No requests in the last 30 days." in answer.text
    assert "No failed requests in the last 30 days." in answer.text
    assert [fact(answer.text, name) for name in ("total-leads", "leads-today")] == ["0", "0"]


def test_leads_from_two_integrators_are_drawn_per_integrator(
    console: Console, world: World, other: Caller
) -> None:
    assert [send(console.client, world.caller, world, n) for n in (1, 2)] == [201, 201]
    assert send(console.client, other, world, 3) == 201
    html = console.get(PAGE).text
    today = datetime.now(UTC).date().isoformat()
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart"' in html
    assert f"{today} · {world.caller.username}: 2 leads" in html
    assert f"{today} · homes-portal: 1 leads" in html
    assert '<li><span class="swatch s0"></span>' + world.caller.username in html
    assert '<li><span class="swatch s1"></span>homes-portal</li>' in html


def test_headline_numbers_count_leads_today_contacts_and_active_credentials(
    console: Console, db: Database, world: World, other: Caller
) -> None:
    for n, status in ((1, "Contacted"), (2, "Contacted"), (3, "New")):
        send(console.client, world.caller, world, n, Lead_Status=status)
    send(console.client, other, world, 1, Lead_Status="Contacted", Message="Again, elsewhere")
    make_credential(db, username="revoked-portal")
    with db.session_scope() as session:
        credentials.revoke(session, username="revoked-portal")
    html = console.get(PAGE).text
    assert fact(html, "leads-today") == "4"
    assert fact(html, "total-leads") == "3"  # the fourth request updated a lead
    assert fact(html, "total-contacts") == "2"  # only contacted leads become contacts
    assert fact(html, "active-credentials") == "2"


def test_error_rates_count_failures_per_integrator_and_link_to_their_errors(
    console: Console, world: World, other: Caller
) -> None:
    send(console.client, world.caller, world, 1)
    send(console.client, other, world, 2)
    assert send(console.client, other, world, 3, Sender_Email=DROP) == 422
    assert send(console.client, other, world, 4, Sender_Name=DROP) == 422
    html = console.get(PAGE).text
    row = integrator_row(html, "homes-portal")
    assert '<a href="/console/history?integrator=homes-portal&amp;status=4xx">' in row
    assert numbers(row) == ["3", "2", "0", "66.7%"]
    assert numbers(integrator_row(html, world.caller.username)) == ["1", "0", "0", "0%"]
    assert "homes-portal: 2 of 3 requests failed (66.7%)" in html


def test_each_latest_failure_links_to_its_history_entry(
    console: Console, db: Database, world: World, other: Caller
) -> None:
    send(console.client, world.caller, world, 1)
    send(console.client, other, world, 2, Sender_Email=DROP, External_LeadId="ext-42")
    send(console.client, world.caller, world, 3, Sender_Phone=DROP)
    html = console.get(PAGE).text
    newest, oldest = failure_ids(db)
    links = re.findall(r'href="/console/history/([0-9a-f-]{36})"', html)
    assert list(dict.fromkeys(links)) == [newest, oldest]
    assert '<span class="badge warn">422</span>' in html
    assert "<td>ext-42</td>" in html
    assert "<code>validation_error</code>" in html


def test_batch_items_count_one_each_and_replays_not_at_all(console: Console, world: World) -> None:
    items = [
        lead_body(Public_Reference=world.listing.public_reference, Sender_Email=f"b{n}@x.org")
        for n in range(3)
    ]
    items[1]["Sender_Email"] = "not-an-email"
    answer = console.client.post(
        ENDPOINT + "/batch",
        params=world.caller.params(),
        headers=world.caller.headers(),
        json=items,
    )
    assert answer.status_code == 207
    for _ in range(2):
        assert send(console.client, world.caller, world, 9) in (200, 201)
    key = {"Idempotency-Key": "retry-1"}
    body = lead_body(Public_Reference=world.listing.public_reference, Sender_Email="r@x.org")
    for _ in range(2):
        post_lead(console.client, world.caller, body, **key)
    html = console.get(PAGE).text
    # Two good batch items, the sent-again lead (accepted twice), the idempotent pair once.
    assert fact(html, "leads-today") == "5"
    assert len(re.findall(r'href="/console/history/[0-9a-f-]{36}"><span class="badge', html)) == 1


def test_names_sent_by_unproven_callers_are_escaped(console: Console, world: World) -> None:
    impostor = Caller('<b>"evil"</b>', "wrong-token")
    assert send(console.client, impostor, world, 1) == 401
    html = console.get(PAGE).text
    assert "<b>" not in html
    assert ">&lt;b&gt;&#34;evil&#34;&lt;/b&gt;</a></td>" in html  # the tables
    assert ">&lt;b&gt;&quot;evil&quot;&lt;/b&gt;</text>" in html  # the chart
    assert "history?integrator=%3Cb%3E%22evil%22%3C%2Fb%3E&amp;status=4xx" in html


def test_requests_without_a_username_are_shown_without_links(
    console: Console, world: World
) -> None:
    answer = console.client.post(ENDPOINT, params={"token": "nope"}, json=lead_body())
    assert answer.status_code == 401
    html = console.get(PAGE).text
    assert '<td class="muted">(no username)</td>' in html
    assert "history?integrator=&amp;" not in html


def test_long_error_messages_are_cut_to_one_line(console: Console, db: Database) -> None:
    record(db, datetime.now(UTC), 422, message="x" * 1000)
    html = console.get(PAGE).text
    assert "x" * (queries.MESSAGE_CHARS - 1) + "…" in html
    assert "x" * queries.MESSAGE_CHARS not in html


def test_requests_older_than_thirty_days_are_left_out(console: Console, db: Database) -> None:
    record(db, datetime.now(UTC) - timedelta(days=31), 500, username="old-portal")
    html = console.get(PAGE).text
    assert "old-portal" not in html
    assert "No failed requests in the last 30 days." in html


def test_leads_are_counted_per_utc_day_whatever_the_sessions_time_zone(db: Database) -> None:
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    for at in (
        datetime(2026, 11, 26, 23, 59, 59, tzinfo=UTC),
        datetime(2026, 11, 27, 0, 0, 1, tzinfo=UTC),
        datetime(2026, 11, 27, 11, 0, tzinfo=UTC),
        datetime(2026, 10, 28, 23, 59, tzinfo=UTC),  # the day before the window
        datetime(2026, 10, 29, 0, 0, tzinfo=UTC),  # the window's first moment
    ):
        record(db, at, 201)
    with db.session_scope() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SET LOCAL TIME ZONE 'Pacific/Kiritimati'"))
        data = queries.overview(session, now=now)
    assert data.days[0].isoformat() == "2026-10-29"
    assert len(data.days) == queries.WINDOW_DAYS
    counts = data.leads_by_integrator()["portal"]
    assert (counts[0], counts[-2], counts[-1], sum(counts)) == (1, 1, 2, 4)
    assert data.leads_today == 2
