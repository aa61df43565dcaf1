"""Who may call what: every credential kind against every integrator endpoint and method.

One table (`GRID`) says what each kind of caller gets from each endpoint; every cell is its
own test. Around it: 401s that are byte-identical whatever was wrong (no oracle), token
checks that go through `hmac.compare_digest`, tokens stored only as SHA-256 digests, and
tokens that never reach the logs or the integration history.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from maxwork_leads.credentials import service as credentials
from maxwork_leads.credentials import tokens
from maxwork_leads.db import Database
from maxwork_leads.errors import Unauthorized
from maxwork_leads.models import Base, Lead
from tests.factories import Caller, World, lead_body, make_credential, make_world

LEADS = "/listingexport/leads"
BATCH = "/listingexport/leads/batch"
HISTORY = "/listingexport/history"
EXTERNAL_ID = "crm-matrix-1"


@dataclass(frozen=True)
class Scene:
    """Agency A (with its scoped credential and one lead it sent), agency B, a portal."""

    db: Database
    client: TestClient
    home: World
    away: World
    sibling: Caller  # a second credential scoped to agency A
    portal: Caller  # a credential for all agencies
    lead_id: str  # sent by home.caller, with External_LeadId EXTERNAL_ID


@dataclass(frozen=True)
class Auth:
    params: dict[str, str]
    headers: dict[str, str]


def query_auth(username: str | None, token: str | None) -> Auth:
    return Auth(
        {"token": token} if token is not None else {},
        {"user": username} if username is not None else {},
    )


def bearer_auth(username: str, token: str) -> Auth:
    return Auth({}, {"user": username, "Authorization": f"Bearer {token}"})


def _revoked(scene: Scene) -> Auth:
    caller = scene.home.caller
    with scene.db.session_scope() as session:
        credentials.revoke(session, username=caller.username)
    return query_auth(caller.username, caller.token)


def _rotated(scene: Scene, *, use_new: bool) -> Auth:
    caller = scene.home.caller
    with scene.db.session_scope() as session:
        fresh = credentials.rotate(session, username=caller.username).token
    return query_auth(caller.username, fresh if use_new else caller.token)


# How each kind of caller authenticates; some change the credential first (revoke, rotate).
KINDS: dict[str, Callable[[Scene], Auth]] = {
    "valid": lambda s: query_auth(s.home.caller.username, s.home.caller.token),
    "bearer": lambda s: bearer_auth(s.home.caller.username, s.home.caller.token),
    "rotated_new": lambda s: _rotated(s, use_new=True),
    "portal_wide": lambda s: query_auth(s.portal.username, s.portal.token),
    "other_agency": lambda s: query_auth(s.away.caller.username, s.away.caller.token),
    "wrong_token": lambda s: query_auth(s.home.caller.username, tokens.generate_token()),
    "wrong_bearer": lambda s: bearer_auth(s.home.caller.username, tokens.generate_token()),
    "wrong_user": lambda s: query_auth(s.sibling.username, s.home.caller.token),
    "unknown_user": lambda s: query_auth("nobody-by-that-name", s.home.caller.token),
    "missing_user": lambda s: query_auth(None, s.home.caller.token),
    "missing_token": lambda s: query_auth(s.home.caller.username, None),
    "revoked": _revoked,
    "rotated_old": lambda s: _rotated(s, use_new=False),
}
BAD_KINDS = (
    "wrong_token",
    "wrong_bearer",
    "wrong_user",
    "unknown_user",
    "missing_user",
    "missing_token",
    "revoked",
    "rotated_old",
)


def new_person(scene: Scene) -> dict[str, Any]:
    """A lead on agency A's listing from someone A has no lead for yet."""
    return lead_body(
        Public_Reference=scene.home.listing.public_reference,
        Sender_Email="second.person@example.com",
        Sender_Phone="+351 913 000 001",
    )


ENDPOINTS: dict[str, Callable[[Scene, Auth], httpx.Response]] = {
    "post_lead": lambda s, a: s.client.post(
        LEADS, params=a.params, headers=a.headers, json=new_person(s)
    ),
    "post_batch": lambda s, a: s.client.post(
        BATCH, params=a.params, headers=a.headers, json=[new_person(s)]
    ),
    "get_by_id": lambda s, a: s.client.get(
        f"{LEADS}/{s.lead_id}", params=a.params, headers=a.headers
    ),
    "get_by_external_id": lambda s, a: s.client.get(
        LEADS, params={**a.params, "External_LeadId": EXTERNAL_ID}, headers=a.headers
    ),
    "feed": lambda s, a: s.client.get(LEADS, params=a.params, headers=a.headers),
    "history": lambda s, a: s.client.get(HISTORY, params=a.params, headers=a.headers),
}
WRITES = ("post_lead", "post_batch")

# Expected answers. "207/403": a 207 whose one item has Status 403. "200/own": a page holding
# A's lead (feed) or the request that created it (history); "200/empty": an empty page.
OWNER = ("201", "207/201", "200", "200", "200/own", "200/own")
# fmt: off
GRID: dict[str, tuple[str, ...]] = {
    #               post_lead  post_batch  get_by_id  get_by_ext  feed         history
    "valid":        OWNER,
    "bearer":       OWNER,
    "rotated_new":  OWNER,
    "portal_wide":  ("201",    "207/201",  "404",     "404",      "200/empty", "200/empty"),
    "other_agency": ("403",    "207/403",  "404",     "404",      "200/empty", "200/empty"),
    **{kind: ("401",) * len(ENDPOINTS) for kind in BAD_KINDS},
}
# fmt: on
assert set(GRID) == set(KINDS)
assert all(len(row) == len(ENDPOINTS) for row in GRID.values())

CELLS = [
    pytest.param(kind, endpoint, expected, id=f"{kind}-{endpoint}-{expected}")
    for kind, row in GRID.items()
    for endpoint, expected in zip(ENDPOINTS, row, strict=True)
]


@pytest.fixture
def scene(db: Database, client: TestClient) -> Scene:
    home, away = make_world(db), make_world(db)
    sibling = make_credential(db, agency=home.agency)
    portal = make_credential(db)
    body = lead_body(Public_Reference=home.listing.public_reference, External_LeadId=EXTERNAL_ID)
    sent = client.post(LEADS, params=home.caller.params(), headers=home.caller.headers(), json=body)
    assert sent.status_code == 201, sent.text
    return Scene(db, client, home, away, sibling, portal, sent.json()["Lead_Id"])


def wait_until_in_feed(scene: Scene) -> None:
    """On PostgreSQL the feed holds a change back while any older transaction on the server
    (in any database: other test runs too) is still running; wait until it has passed, so
    that an empty feed below means "not yours" rather than "not yet"."""
    caller = scene.home.caller
    deadline = time.monotonic() + 60
    while True:
        page = scene.client.get(LEADS, params=caller.params(), headers=caller.headers()).json()
        if [lead["Lead_Id"] for lead in page["Leads"]] == [scene.lead_id]:
            return
        assert time.monotonic() < deadline, f"never reached the feed: {page}; {older(scene)}"
        time.sleep(0.05)


def older(scene: Scene) -> list[tuple[Any, ...]]:
    """The transactions on the server that hold the feed back (PostgreSQL), for the message."""
    if scene.db.engine.dialect.name != "postgresql":
        return []
    with scene.db.engine.connect() as conn:
        query = text(
            "SELECT datname, backend_xid::text, now() - xact_start, left(query, 80) "
            "FROM pg_stat_activity WHERE backend_xid IS NOT NULL ORDER BY xact_start"
        )
        return [tuple(row) for row in conn.execute(query)]


def count_leads(db: Database) -> int:
    with db.session_scope() as session:
        return int(session.scalar(select(func.count()).select_from(Lead)) or 0)


def error_code(response: httpx.Response) -> str:
    return str(response.json()["Error"]["Code"])


@pytest.mark.parametrize(("kind", "endpoint", "expected"), CELLS)
def test_access(scene: Scene, kind: str, endpoint: str, expected: str) -> None:
    if endpoint == "feed":
        wait_until_in_feed(scene)
    auth = KINDS[kind](scene)
    response = ENDPOINTS[endpoint](scene, auth)
    status, _, detail = expected.partition("/")
    assert response.status_code == int(status), response.text
    body = response.json()

    if status == "401":
        assert error_code(response) == "unauthorized"
        assert response.headers["WWW-Authenticate"] == "Bearer"
    elif status == "403":
        assert error_code(response) == "forbidden"
    elif status == "404":
        assert error_code(response) == "not_found"
    elif status == "207":
        [item] = body["Results"]
        assert (item["Index"], item["Status"]) == (0, int(detail)), item
        if detail == "403":
            assert item["Error"]["Code"] == "forbidden"
            assert body["Failed"] == 1
        else:
            assert item["Body"]["Operation"] == "created"
            assert body["Created"] == 1
    elif endpoint in ("get_by_id", "get_by_external_id"):
        assert body["Lead_Id"] == scene.lead_id
        assert body["External_LeadId"] == EXTERNAL_ID
    elif endpoint == "feed":
        leads = [lead["Lead_Id"] for lead in body["Leads"]]
        assert leads == ([scene.lead_id] if detail == "own" else [])
    elif endpoint == "history":
        leads = [entry["Lead_Id"] for entry in body["Entries"]]
        assert leads == ([scene.lead_id] if detail == "own" else [])

    if endpoint in WRITES:
        created = status == "201" or expected == "207/201"
        assert count_leads(scene.db) == (2 if created else 1)


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_every_401_is_the_same_whatever_was_wrong(scene: Scene, endpoint: str) -> None:
    """Wrong token, unknown user, revoked... all answer the same bytes: no oracle."""
    answers = {}
    for kind in BAD_KINDS:
        response = ENDPOINTS[endpoint](scene, KINDS[kind](scene))
        answers[kind] = (response.status_code, sorted(response.headers.items()), response.content)
    reference = answers["wrong_token"]
    assert reference[0] == 401
    assert {kind: answer == reference for kind, answer in answers.items()} == dict.fromkeys(
        BAD_KINDS, True
    )


def test_token_checks_go_through_hmac_compare_digest(
    db: Database, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(db)
    caller = world.caller
    calls: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def spy(a: str, b: str) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    with db.session_scope() as session:
        stored = credentials.authenticate(session, username=caller.username, token=caller.token)
        assert calls == [(tokens.hash_token(caller.token), stored.token_hash)]

        for username, token in [
            (caller.username, tokens.generate_token()),  # wrong token
            ("nobody-by-that-name", caller.token),  # unknown user: the same work, no shortcut
        ]:
            calls.clear()
            with pytest.raises(Unauthorized):
                credentials.authenticate(session, username=username, token=token)
            assert len(calls) == 1

    # The HTTP path checks the token the same way.
    calls.clear()
    response = client.get(LEADS, params=caller.params(), headers=caller.headers())
    assert response.status_code == 200
    assert calls == [(tokens.hash_token(caller.token), stored.token_hash)]

    # compare_digest alone decides: when it says no, even the right token is refused.
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: False)
    with db.session_scope() as session, pytest.raises(Unauthorized):
        credentials.authenticate(session, username=caller.username, token=caller.token)


def test_tokens_are_stored_only_as_sha256_hex_digests(db: Database) -> None:
    world = make_world(db)
    portal = make_credential(db)
    issued = [world.caller.token, portal.token]
    current = {world.caller.username: world.caller.token, portal.username: portal.token}
    with db.session_scope() as session:
        rotated = credentials.rotate(session, username=world.caller.username).token
        credentials.revoke(session, username=portal.username)
    issued.append(rotated)
    current[world.caller.username] = rotated

    with db.engine.connect() as conn:
        rows = [row._mapping for row in conn.execute(text("SELECT * FROM credentials"))]
    assert len(rows) == 2
    for row in rows:
        for column, value in row.items():
            for token in issued:
                assert token not in str(value), f"credentials.{column} holds a token"
        digest = row["token_hash"]
        assert re.fullmatch(r"[0-9a-f]{64}", digest)
        expected = hashlib.sha256(current[row["username"]].encode()).hexdigest()
        assert digest == expected


def all_rows(db: Database, table: str) -> list[dict[str, Any]]:
    with db.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(text(f"SELECT * FROM {table}"))]


def cells_holding(db: Database, needle: str) -> list[str]:
    """`table.column` of every stored value, in every table, that contains `needle`."""
    return [
        f"{table.name}.{column}"
        for table in Base.metadata.sorted_tables
        for row in all_rows(db, table.name)
        for column, value in row.items()
        if needle in str(value)
    ]


def _requests_with_the_token_around(scene: Scene) -> None:
    """Success, 401, 422 and malformed JSON, with the token in the query and the header."""
    caller, client = scene.home.caller, scene.client
    token = caller.token
    body = new_person(scene)
    as_query = {"params": caller.params(), "headers": caller.headers()}
    as_bearer = {"headers": {**caller.headers(), "Authorization": f"Bearer {token}"}}
    answers = [
        client.post(LEADS, json=body, **as_query).status_code,
        client.post(LEADS, json={**body, "Message": "again"}, **as_bearer).status_code,
        client.get(f"{LEADS}/{scene.lead_id}", **as_bearer).status_code,
        client.get(LEADS, **as_query).status_code,
        # 401s: a wrong token that contains the real one, and the right token for another user
        client.post(
            LEADS, json=body, params={"token": token + "x"}, headers=caller.headers()
        ).status_code,
        client.post(
            LEADS, json=body, params=caller.params(), headers={"user": scene.sibling.username}
        ).status_code,
        client.get(
            HISTORY, headers={"Authorization": f"Bearer {token}x", "user": "nobody"}
        ).status_code,
        # 422s, with the token in the offending fields
        client.post(LEADS, json={**body, "Sender_Email": token}, **as_bearer).status_code,
        client.post(LEADS, json={**body, "Lead_Status": token}, **as_query).status_code,
        client.post(BATCH, json=[{**body, "Price_Min": token}], **as_query).status_code,
        # 400: malformed JSON that carries the token
        client.post(
            LEADS,
            content=f'{{"token": "{token}", "Sender_Name": '.encode(),
            params=caller.params(),
            headers={**caller.headers(), "Content-Type": "application/json"},
        ).status_code,
    ]
    assert answers == [201, 200, 200, 200, 401, 401, 401, 422, 422, 207, 400]


def _successes_with_the_token_in_a_body_field(scene: Scene) -> None:
    """The token also sent in a body field named `token` (two successes, one 401)."""
    caller, client = scene.home.caller, scene.client
    body = {**new_person(scene), "token": caller.token}
    answers = [
        client.post(LEADS, json=body, params=caller.params(), headers=caller.headers()),
        client.post(
            BATCH,
            json=[{**body, "Lead_Status": "Contacted"}],
            headers={**caller.headers(), "Authorization": f"Bearer {caller.token}"},
        ),
        client.post(LEADS, json={**body, "Sender_Email": "bad"}, params=caller.params()),
    ]
    assert [r.status_code for r in answers] == [201, 207, 401]
    assert answers[1].json()["Results"][0]["Status"] == 200


# Records of the test's own HTTP client (httpx logs every URL it requests, query string
# included): they are the caller's logs, not the service's.
CLIENT_LOGGERS = ("httpx", "httpcore")


@pytest.mark.parametrize(
    "scenario",
    [
        pytest.param(_requests_with_the_token_around, id="query-bearer-401-422-400"),
        # Also lead_activity.payload: it once kept the raw body, `token` field included.
        pytest.param(_successes_with_the_token_in_a_body_field, id="token-body-field"),
    ],
)
def test_the_token_never_reaches_the_logs_or_the_history(
    scene: Scene, caplog: pytest.LogCaptureFixture, scenario: Callable[[Scene], None]
) -> None:
    token = scene.home.caller.token
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        caplog.set_level(logging.DEBUG, logger=name)
    before = len(all_rows(scene.db, "integration_requests"))

    scenario(scene)

    server_records = [r for r in caplog.records if not r.name.startswith(CLIENT_LOGGERS)]
    server_log = "\n".join(caplog.handler.format(r) for r in server_records)
    names = {r.name for r in server_records}
    assert "maxwork_leads.access" in names  # the service's own lines were captured
    assert any(name.startswith("sqlalchemy.engine") for name in names)  # and the SQL
    assert token not in server_log
    assert "token=" not in server_log

    history = all_rows(scene.db, "integration_requests")
    assert len(history) > before
    leaking = [column for row in history for column, value in row.items() if token in str(value)]
    assert leaking == []
    assert cells_holding(scene.db, token) == []
