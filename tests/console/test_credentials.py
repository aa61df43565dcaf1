"""The credentials page: traffic per integrator, and tokens issued, rotated and revoked."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from maxwork_leads.console.queries import credentials as queries
from maxwork_leads.db import Database
from maxwork_leads.integration import history
from maxwork_leads.models import Credential
from maxwork_leads.models.base import utcnow
from tests.api.helpers import post_lead
from tests.console.conftest import Console, table_rows
from tests.factories import Caller, World, lead_body, make_credential, make_world

PAGE = "/console/credentials"
_SECRET = re.compile(r'<p class="secret"><code>([^<]+)</code></p>')


def rows(html: str) -> list[list[str]]:
    return table_rows(html)


def row_of(html: str, username: str) -> list[str]:
    return next(row for row in rows(html) if row and row[0] == username)


def shown_token(answer: httpx.Response) -> str:
    found = _SECRET.search(answer.text)
    assert found, "no token shown"
    return found.group(1)


@pytest.fixture
def world(db: Database) -> World:
    return make_world(db)


def send(client: TestClient, world: World, caller: Caller, **fields: object) -> httpx.Response:
    body = lead_body(Public_Reference=world.listing.public_reference, **fields)
    return post_lead(client, caller, body)


def create(console: Console, username: str, **fields: str) -> httpx.Response:
    return console.post(PAGE, {"username": username, **fields})


def test_the_list_counts_each_credentials_requests_and_failures(
    console: Console, db: Database, world: World
) -> None:
    other = make_credential(db, username="other-portal")
    assert send(console.client, world, world.caller).status_code == 201
    assert (
        send(console.client, world, world.caller, Sender_Email="b@example.com").status_code == 201
    )
    assert send(console.client, world, world.caller, Sender_Email="not an email").status_code == 422
    assert send(console.client, world, other, Sender_Email="c@example.com").status_code == 201

    page = console.get(PAGE)

    mine = row_of(page.text, world.caller.username)
    assert mine[1:3] == [world.agency.name, "active"]
    assert mine[7:9] == ["3", "1"]
    assert row_of(page.text, "other-portal")[7:9] == ["1", "0"]
    assert f'href="/console/history?integrator={world.caller.username}"' in page.text


def test_requests_older_than_30_days_are_not_counted(
    console: Console, db: Database, world: World
) -> None:
    with db.session_scope() as session:
        credential_id = session.scalar(
            select(Credential.id).where(Credential.username == world.caller.username)
        )
        old = history.Origin(
            endpoint="lead",
            username=world.caller.username,
            user_agent=None,
            idempotency_key=None,
            received_at=utcnow() - timedelta(days=31),
        )
        history.record(session, old, credential_id, [history.Entry(status_code=201)])
    assert send(console.client, world, world.caller).status_code == 201

    assert row_of(console.get(PAGE).text, world.caller.username)[7] == "1"


def test_a_credential_without_agency_or_own_limit_says_so(console: Console, db: Database) -> None:
    make_credential(db, username="everywhere")

    row = row_of(console.get(PAGE).text, "everywhere")

    assert row[1] == "all agencies"
    assert row[3] == "service default (20/s)"
    assert row[6] == "never"


def test_a_created_token_is_shown_once_and_works(console: Console, world: World) -> None:
    answer = create(console, "new-portal", agency=str(world.agency.id), rate_limit="2.5")

    assert answer.status_code == 200
    token = shown_token(answer)
    assert "shown only this once" in answer.text
    assert answer.headers["cache-control"] == "no-store"
    assert send(console.client, world, Caller("new-portal", token)).status_code == 201
    again = console.get(PAGE)
    assert token not in again.text
    assert row_of(again.text, "new-portal")[1:4] == [world.agency.name, "active", "2.5/s"]


def test_a_credential_for_all_agencies_can_be_created(console: Console, world: World) -> None:
    answer = create(console, "everywhere", agency="")

    assert send(console.client, world, Caller("everywhere", shown_token(answer))).status_code == 201
    assert row_of(console.get(PAGE).text, "everywhere")[1] == "all agencies"


def test_rotating_shows_a_new_token_and_the_old_one_stops_working(
    console: Console, world: World
) -> None:
    old = world.caller.token

    answer = console.post(f"{PAGE}/{world.caller.username}/rotate")

    assert answer.status_code == 200
    new = shown_token(answer)
    assert new != old
    assert "previous token has stopped working" in answer.text
    assert send(console.client, world, Caller(world.caller.username, new)).status_code == 201
    assert send(console.client, world, world.caller, Sender_Email="b@example.com").status_code == (
        401
    )


def test_a_username_with_a_slash_can_be_rotated(console: Console, db: Database) -> None:
    make_credential(db, username="portal/eu")

    answer = console.post(f"{PAGE}/portal%2Feu/rotate")

    assert answer.status_code == 200
    assert shown_token(answer).startswith("mxl_")


def test_revoking_redirects_to_the_list_and_the_token_stops_working(
    console: Console, world: World
) -> None:
    answer = console.post(f"{PAGE}/{world.caller.username}/revoke")

    assert answer.status_code == 303
    assert answer.headers["location"] == PAGE
    assert row_of(console.get(PAGE).text, world.caller.username)[2] == "revoked"
    assert send(console.client, world, world.caller).status_code == 401


def test_a_duplicate_username_is_a_form_error(console: Console, world: World) -> None:
    answer = create(console, world.caller.username, rate_limit="7")

    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("text/html")
    assert "already exists" in answer.text
    assert 'name="rate_limit" value="7"' in answer.text
    assert not _SECRET.search(answer.text)


@pytest.mark.parametrize("rate_limit", ["-1", "fast", "nan"])
def test_a_bad_rate_limit_is_a_form_error(console: Console, rate_limit: str) -> None:
    answer = create(console, "new-portal", rate_limit=rate_limit)

    assert answer.status_code == 422
    assert "rate limit must be" in answer.text
    assert rows(console.get(PAGE).text) == []


def test_rotating_an_unknown_credential_is_not_found(console: Console) -> None:
    answer = console.post(f"{PAGE}/nobody/rotate")

    assert answer.status_code == 404
    assert "no credential for" in answer.text


def test_a_form_without_the_csrf_token_is_refused(console: Console) -> None:
    answer = console.client.post(PAGE, data={"username": "sneaky"}, follow_redirects=False)

    assert answer.status_code == 403
    assert rows(console.get(PAGE).text) == []


def test_more_credentials_than_the_cap_are_cut_and_the_page_says_so(
    console: Console, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("a-portal", "b-portal", "c-portal"):
        make_credential(db, username=name)
    monkeypatch.setattr(queries, "MAX_CREDENTIALS", 2)

    page = console.get(PAGE).text

    assert "more than 2 credentials" in page
    assert "b-portal" in page
    assert "c-portal" not in page


def test_credential_changes_are_audited_with_the_operator_and_never_the_token(
    console: Console, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="maxwork_leads.console.audit")
    created = console.post("/console/credentials", {"username": "audited"})
    console.post("/console/credentials/audited/revoke")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name.endswith(".audit")]
    assert [(line["action"], line["operator"], line["username"]) for line in lines] == [
        ("credential.create", "ops", "audited"),
        ("credential.revoke", "ops", "audited"),
    ]
    token = re.search(r"mxl_[A-Za-z0-9_-]+", created.text)
    assert token is not None
    assert token.group(0) not in caplog.text
