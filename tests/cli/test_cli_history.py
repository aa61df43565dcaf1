"""`history`, `history prune` and per-credential rate limits, through the real console script."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update

from maxwork_leads.db import Database
from maxwork_leads.models import IdempotencyKey, IntegrationRequest
from maxwork_leads.models.base import utcnow
from tests.api.helpers import post_lead
from tests.cli.helpers import Cli
from tests.factories import World, lead_body, make_credential, make_world


def send(api_client: TestClient, world: World, **overrides: object) -> int:
    body = lead_body(**{"Public_Reference": world.listing.public_reference, **overrides})
    return post_lead(api_client, world.caller, body).status_code


def test_history_lists_requests_newest_first(cli: Cli, client: TestClient, db: Database) -> None:
    world = make_world(db)
    send(client, world, External_LeadId="X-1")
    send(client, world, Sender_Email="broken")
    entries = cli.ok("history")["entries"]
    assert [e["Status_Code"] for e in entries] == [422, 201]
    assert entries[1]["External_LeadId"] == "X-1"
    assert entries[0]["Username"] == world.caller.username


def test_history_filters_by_username_and_errors(cli: Cli, client: TestClient, db: Database) -> None:
    world = make_world(db)
    other = make_world(db)
    send(client, world)
    send(client, world, Lead_Status="Bogus")
    send(client, other)
    mine = cli.ok("history", "--username", world.caller.username)["entries"]
    assert len(mine) == 2
    errors = cli.ok("history", "--errors-only")["entries"]
    assert [e["Status_Code"] for e in errors] == [422]


def test_history_since_leaves_out_older_requests(
    cli: Cli, client: TestClient, db: Database
) -> None:
    world = make_world(db)
    send(client, world)
    later = (utcnow() + timedelta(seconds=1)).isoformat()
    assert cli.ok("history", "--since", later)["entries"] == []


def test_prune_deletes_only_what_is_past_its_retention(
    cli: Cli, client: TestClient, db: Database
) -> None:
    world = make_world(db)
    send(client, world, Message="old")
    with db.session_scope() as session:
        session.execute(
            update(IntegrationRequest).values(received_at=utcnow() - timedelta(days=91))
        )
    send(client, world, Message="new", **{})
    post_lead(
        client,
        world.caller,
        lead_body(Public_Reference=world.listing.public_reference, Message="keyed"),
        **{"Idempotency-Key": "k"},
    )
    with db.session_scope() as session:
        session.execute(update(IdempotencyKey).values(created_at=utcnow() - timedelta(hours=25)))
    counts = cli.ok("history", "prune")
    assert counts == {"history_deleted": 1, "idempotency_keys_deleted": 1}
    assert len(cli.ok("history")["entries"]) == 2


def test_a_credential_rate_limit_is_set_shown_and_cleared(cli: Cli, db: Database) -> None:
    world = make_world(db)
    created = cli.ok("credential", "create", "--username", " limited ", "--rate-limit", "5")
    assert created["username"] == "limited"
    rows = {r["username"]: r for r in cli.ok("credential", "list")["credentials"]}
    assert rows["limited"]["rate_limit"] == 5
    cli.ok("credential", "update", "--username", world.caller.username, "--rate-limit", "2.5")
    rows = {r["username"]: r for r in cli.ok("credential", "list")["credentials"]}
    assert rows[world.caller.username]["rate_limit"] == 2.5
    cli.ok("credential", "update", "--username", world.caller.username, "--default-rate-limit")
    rows = {r["username"]: r for r in cli.ok("credential", "list")["credentials"]}
    assert rows[world.caller.username]["rate_limit"] is None


def test_a_negative_rate_limit_is_refused(cli: Cli, db: Database) -> None:
    make_credential(db, username="portal-neg")
    assert "rate limit" in cli.fails(
        "credential", "update", "--username", "portal-neg", "--rate-limit", "-1"
    )


def test_serve_with_several_workers_needs_redis_while_limiting(cli: Cli) -> None:
    result = cli("serve", "--workers", "2", "--port", "1")
    assert result.code == 1
    assert "MAXWORK_REDIS_URL" in result.stderr
