"""Credentials and routes a server process remembers stop being used the moment they change.

The client's app and the test's `db` are two `Database` objects on one database, as two
server processes would be: each change here is made by "another process", after the
app has already remembered what it changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select, text, update

from maxwork_leads.credentials import service as credentials
from maxwork_leads.db import Database
from maxwork_leads.directory.cache import DirectoryCache
from maxwork_leads.models import Credential, Listing, User
from tests.api.helpers import post_lead
from tests.factories import Caller, World, lead_body, make_user


def body_for(world: World, person: int) -> dict[str, object]:
    return lead_body(
        Public_Reference=world.listing.public_reference,
        Sender_Email=f"person{person}@example.com",
    )


def agent_of(response: Any) -> str:
    assert response.status_code == 201, response.text
    return str(response.json()["Agent"]["Username"])


@contextmanager
def statements(client: TestClient) -> Iterator[list[str]]:
    """The SQL the app sends while the block runs."""
    engine = client.app.state.services.database.engine  # type: ignore[attr-defined]
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_second_request_reads_neither_the_credential_nor_the_listing(
    client: TestClient, world: World
) -> None:
    assert post_lead(client, world.caller, body_for(world, 1)).status_code == 201
    with statements(client) as sent:
        assert post_lead(client, world.caller, body_for(world, 2)).status_code == 201
    assert not [s for s in sent if "FROM credentials" in s or "FROM listings" in s]


def test_revoking_in_another_process_refuses_the_next_request(
    client: TestClient, db: Database, world: World
) -> None:
    assert post_lead(client, world.caller, body_for(world, 1)).status_code == 201
    with db.session_scope() as session:
        credentials.revoke(session, username=world.caller.username)
    assert post_lead(client, world.caller, body_for(world, 2)).status_code == 401


def test_rotating_in_another_process_swaps_the_tokens_at_once(
    client: TestClient, db: Database, world: World
) -> None:
    assert post_lead(client, world.caller, body_for(world, 1)).status_code == 201
    with db.session_scope() as session:
        token = credentials.rotate(session, username=world.caller.username).token
    assert post_lead(client, world.caller, body_for(world, 2)).status_code == 401
    fresh = Caller(world.caller.username, token)
    assert post_lead(client, fresh, body_for(world, 3)).status_code == 201


def test_a_listing_reassigned_outside_the_service_routes_the_next_lead_to_its_new_agent(
    client: TestClient, db: Database, world: World
) -> None:
    """A plain UPDATE statement, as an admin or another tool would send it."""
    other = make_user(db, agency=world.agency)
    assert agent_of(post_lead(client, world.caller, body_for(world, 1))) == world.agent.username
    listings = Listing.__table__
    with db.session_scope() as session:
        session.execute(
            update(listings).where(listings.c.id == world.listing.id).values(agent_id=other.id)
        )
    assert agent_of(post_lead(client, world.caller, body_for(world, 2))) == other.username


def test_an_agent_made_inactive_stops_receiving_leads_at_once(
    client: TestClient, db: Database, world: World
) -> None:
    assert agent_of(post_lead(client, world.caller, body_for(world, 1))) == world.agent.username
    with db.session_scope() as session:
        user = session.get(User, world.agent.id)
        assert user is not None
        user.active = False
    assert agent_of(post_lead(client, world.caller, body_for(world, 2))) == world.manager.username


def test_recording_use_does_not_move_the_epoch(db: Database, world: World) -> None:
    """`last_used_at` changes once a minute per credential: it must not empty every cache."""
    read = text("SELECT epoch FROM directory_epoch")
    with db.session_scope() as session:
        before = session.execute(read).scalar_one()
        session.execute(text("UPDATE credentials SET last_used_at = created_at"))
    with db.session_scope() as session:
        assert session.execute(read).scalar_one() == before
        session.execute(text("UPDATE credentials SET rate_limit = 5"))
    with db.session_scope() as session:
        assert session.execute(read).scalar_one() != before


def last_used(db: Database, username: str) -> Any:
    with db.session_scope() as session:
        return session.scalar(
            select(Credential.last_used_at).where(Credential.username == username)
        )


def test_a_failed_first_request_does_not_keep_use_from_being_recorded(
    client: TestClient, db: Database, world: World
) -> None:
    bad = lead_body(Public_Reference=world.listing.public_reference, Sender_Email="not an email")
    assert post_lead(client, world.caller, bad).status_code == 422
    assert last_used(db, world.caller.username) is None
    assert post_lead(client, world.caller, body_for(world, 1)).status_code == 201
    assert last_used(db, world.caller.username) is not None


def test_a_remembered_row_stays_readable_after_the_transaction_that_read_it_rolls_back(
    db: Database, world: World
) -> None:
    cache = DirectoryCache()
    with pytest.raises(RuntimeError), db.session_scope() as session:
        session.info["directory_cache"] = cache
        cache.get(session, "agent", lambda: session.get(User, world.agent.id))
        raise RuntimeError("roll back")
    with db.session_scope() as session:
        remembered = cache.get(session, "agent", lambda: None)
    assert remembered is not None
    assert remembered.username == world.agent.username


def test_a_username_that_does_not_exist_is_not_remembered(db: Database) -> None:
    cache = DirectoryCache()
    loads: list[str] = []

    def load() -> None:
        loads.append("load")

    for _ in range(2):
        with db.session_scope() as session:
            assert cache.get(session, ("credential", "nobody"), load) is None
    assert loads == ["load", "load"]


def test_a_guess_before_the_transaction_trusts_only_a_token_that_proved_itself(
    client: TestClient, db: Database, world: World
) -> None:
    """`likely_valid` (large batches are validated early for such callers): never for a
    credential this process has not read, a wrong token, or one seen revoked."""
    cache = client.app.state.services.database.directory_cache  # type: ignore[attr-defined]
    caller = world.caller

    def guess(token: str) -> bool:
        return credentials.likely_valid(cache, username=caller.username, token=token)

    assert guess(caller.token) is False
    assert post_lead(client, caller, body_for(world, 1)).status_code == 201
    assert guess(caller.token) is True
    assert guess(caller.token + "x") is False
    assert credentials.likely_valid(cache, username=None, token=caller.token) is False
    with db.session_scope() as session:
        credentials.revoke(session, username=caller.username)
    assert post_lead(client, caller, body_for(world, 2)).status_code == 401
    assert guess(caller.token) is False
