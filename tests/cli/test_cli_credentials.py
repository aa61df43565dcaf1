"""`credential` and `demo`, run as the real console script and checked through the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text

from maxwork_leads.db import Database
from maxwork_leads.models import Agency, Credential, Listing, User
from tests.cli.helpers import Api, Cli, count
from tests.factories import make_agency, make_listing, make_user


@dataclass(frozen=True)
class World:
    agency: Agency
    reference: str


@pytest.fixture
def world(db: Database) -> World:
    agency = make_agency(db)
    agent = make_user(db, agency=agency)
    return World(agency, make_listing(db, agency=agency, agent=agent).public_reference)


def create(cli: Cli, username: str, agency: Agency | None = None) -> str:
    scope = ["--agency", str(agency.id)] if agency else []
    token = cli.ok("credential", "create", "--username", username, *scope)["token"]
    assert isinstance(token, str)
    return token


def listed(cli: Cli) -> dict[str, dict[str, Any]]:
    return {row["username"]: row for row in cli.ok("credential", "list")["credentials"]}


def test_credential_create_prints_the_username_and_a_token(cli: Cli, world: World) -> None:
    issued = cli.ok(
        "credential", "create", "--username", "portal", "--agency", str(world.agency.id)
    )
    assert set(issued) == {"username", "token"}
    assert issued["username"] == "portal"
    assert isinstance(issued["token"], str)
    assert len(issued["token"]) >= 32


def test_a_token_is_never_stored_in_clear(cli: Cli, db: Database, world: World) -> None:
    token = create(cli, "portal", world.agency)
    with db.engine.connect() as conn:
        rows = [dict(row) for row in conn.execute(text("SELECT * FROM credentials")).mappings()]
    assert len(rows) == 1
    assert rows[0]["token_hash"]
    assert rows[0]["token_hash"] != token
    assert not [column for column, value in rows[0].items() if token in str(value)]


def test_credential_list_shows_scope_and_active_status_but_no_token(cli: Cli, world: World) -> None:
    tokens = [create(cli, "scoped", world.agency), create(cli, "global")]
    result = cli("credential", "list", "--json")
    assert result.code == 0, result.stderr
    assert not [token for token in tokens if token in result.stdout]
    rows = {row["username"]: row for row in result.json()["credentials"]}
    assert (rows["scoped"]["status"], rows["scoped"]["agency"]) == ("active", str(world.agency.id))
    assert (rows["global"]["status"], rows["global"]["agency"]) == ("active", None)
    assert not [row for row in rows.values() if "token" in row or "token_hash" in row]


def test_a_created_token_is_accepted_by_the_api(cli: Cli, api: Api, world: World) -> None:
    token = create(cli, "portal", world.agency)
    assert api.post_lead("portal", token, world.reference) == 201


def test_revoke_marks_the_credential_revoked_in_list(cli: Cli, world: World) -> None:
    create(cli, "portal", world.agency)
    cli.ok("credential", "revoke", "--username", "portal")
    assert listed(cli)["portal"]["status"] == "revoked"


def test_revoking_stops_a_working_token(cli: Cli, api: Api, world: World) -> None:
    token = create(cli, "portal", world.agency)
    assert api.post_lead("portal", token, world.reference) == 201
    cli.ok("credential", "revoke", "--username", "portal")
    assert api.post_lead("portal", token, world.reference) == 401


def test_revoking_an_unknown_credential_fails(cli: Cli) -> None:
    assert "nobody" in cli.fails("credential", "revoke", "--username", "nobody")


def test_rotate_returns_a_new_token_for_the_same_username(cli: Cli, world: World) -> None:
    old = create(cli, "portal", world.agency)
    rotated = cli.ok("credential", "rotate", "--username", "portal")
    assert rotated["username"] == "portal"
    assert rotated["token"] != old


def test_rotate_stops_the_old_token_and_the_new_one_works(cli: Cli, api: Api, world: World) -> None:
    old = create(cli, "portal", world.agency)
    assert api.post_lead("portal", old, world.reference) == 201
    new = cli.ok("credential", "rotate", "--username", "portal")["token"]
    assert api.post_lead("portal", old, world.reference) == 401
    assert api.post_lead("portal", new, world.reference) == 201


@pytest.fixture
def demo_runs(cli: Cli, db: Database) -> tuple[dict[str, Any], dict[str, Any]]:
    """`demo --json` run twice on the empty database."""
    return cli.ok("demo"), cli.ok("demo")


def directory_counts(db: Database) -> tuple[int, int, int, int]:
    return count(db, Agency), count(db, User), count(db, Listing), count(db, Credential)


def test_demo_twice_succeeds_without_duplicating_anything(
    cli: Cli, db: Database, demo_runs: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    first, second = demo_runs
    assert directory_counts(db) == (1, 2, 2, 1)
    same = ("agency", "lead_manager", "agent", "listings", "username")
    assert [first[key] for key in same] == [second[key] for key in same]


def test_demo_rerun_prints_a_curl_with_the_new_token(
    demo_runs: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    first, second = demo_runs
    assert second["token"] != first["token"]
    assert second["token"] in second["curl"]
    assert first["token"] not in second["curl"]
    assert "/listingexport/leads" in second["curl"]


def test_demo_curl_uses_the_given_base_url(cli: Cli) -> None:
    curl = cli.ok("demo", "--base-url", "https://leads.example.com/")["curl"]
    assert "'https://leads.example.com/listingexport/leads?token=" in curl


def test_only_the_latest_demo_token_works(
    api: Api, demo_runs: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    first, second = demo_runs
    reference = second["listings"][0]
    assert api.post_lead(first["username"], first["token"], reference) == 401
    assert api.post_lead(second["username"], second["token"], reference) == 201


def test_only_the_latest_demo_operator_password_opens_the_console(
    api: Api, demo_runs: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    from tests.console.conftest import sign_in

    first, second = demo_runs
    assert second["console"].endswith("/console/")
    assert sign_in(api.client, second["operator"], first["operator_password"]).status_code == 401
    assert sign_in(api.client, second["operator"], second["operator_password"]).status_code == 303
