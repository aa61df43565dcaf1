"""`maxwork-leads operator …`: the accounts that open the web console."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from maxwork_leads.app import create_app
from maxwork_leads.db import Database
from maxwork_leads.models import Operator
from tests.cli.helpers import Cli
from tests.console.conftest import sign_in

PASSWORD = "a long enough secret"


def test_add_reads_the_password_from_stdin_and_it_opens_the_console(cli: Cli, db: Database) -> None:
    added = cli.ok("operator", "add", "--username", "alice", "--password-stdin", stdin=PASSWORD)
    assert added["username"] == "alice"
    with TestClient(create_app(db.settings)) as client:
        assert sign_in(client, "alice", PASSWORD).status_code == 303


def test_the_password_is_stored_as_an_argon2id_hash(cli: Cli, db: Database) -> None:
    cli.ok("operator", "add", "--username", "alice", "--password-stdin", stdin=PASSWORD)
    with db.session_scope() as session:
        stored = session.scalars(select(Operator.password_hash)).one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_add_asks_for_the_password_twice(cli: Cli) -> None:
    result = cli("operator", "add", "--username", "bob", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.code == 0, result.stderr
    assert "operator bob added" in result.stdout


def test_a_short_password_is_refused(cli: Cli) -> None:
    error = cli.fails("operator", "add", "--username", "carol", "--password-stdin", stdin="short")
    assert "at least 10 characters" in error


def test_a_second_operator_with_the_same_name_is_refused(cli: Cli) -> None:
    cli.ok("operator", "add", "--username", "dave", "--password-stdin", stdin=PASSWORD)
    error = cli.fails("operator", "add", "--username", "dave", "--password-stdin", stdin=PASSWORD)
    assert "already exists" in error


def test_unlock_lets_a_locked_operator_sign_in_again(cli: Cli, db: Database) -> None:
    cli.ok("operator", "add", "--username", "erin", "--password-stdin", stdin=PASSWORD)
    with TestClient(create_app(db.settings)) as client:
        for _ in range(db.settings.console_max_failed_logins):
            sign_in(client, "erin", "wrong password!")
        assert sign_in(client, "erin", PASSWORD).status_code == 401
        assert cli.ok("operator", "list")["operators"][0]["locked_until"] is not None
        cli.ok("operator", "unlock", "--username", "erin")
        assert sign_in(client, "erin", PASSWORD).status_code == 303


def test_a_new_password_signs_out_the_operators_browsers(cli: Cli, db: Database) -> None:
    cli.ok("operator", "add", "--username", "frank", "--password-stdin", stdin=PASSWORD)
    with TestClient(create_app(db.settings)) as client:
        sign_in(client, "frank", PASSWORD)
        assert client.get("/console/credentials", follow_redirects=False).status_code == 200
        cli.ok("operator", "password", "--username", "frank", "--password-stdin", stdin="n" * 12)
        assert client.get("/console/credentials", follow_redirects=False).status_code == 303
        assert sign_in(client, "frank", "n" * 12).status_code == 303


def test_remove_deletes_the_account(cli: Cli) -> None:
    cli.ok("operator", "add", "--username", "gina", "--password-stdin", stdin=PASSWORD)
    cli.ok("operator", "remove", "--username", "gina")
    assert cli.ok("operator", "list")["operators"] == []
