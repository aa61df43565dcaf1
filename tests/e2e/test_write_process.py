"""The served SQLite default writes in a process of its own, and behaves as one service."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from maxwork_leads.db import Database
from maxwork_leads.models import IntegrationRequest
from tests.e2e.server import Server, running_server
from tests.factories import World, lead_body, make_world


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """The write process is SQLite's."""
    return sqlite_url


def post(server: Server, world: World, n: int) -> httpx.Response:
    body = lead_body(
        Public_Reference=world.listing.public_reference, Sender_Email=f"served{n}@example.com"
    )
    return httpx.post(
        f"{server.url}/listingexport/leads",
        params=world.caller.params(),
        headers=world.caller.headers(),
        json=body,
    )


def write_processes(server: Server) -> list[int]:
    """The server's helper processes that run the write process's main."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            group = os.getpgid(int(entry.name))
            environ = (entry / "cmdline").read_bytes()
        except (OSError, ProcessLookupError):
            continue
        if group == server.group and b"spawn_main" in environ and is_writer(int(entry.name)):
            found.append(int(entry.name))
    return found


def is_writer(pid: int) -> bool:
    """The write process holds the SQLite file open; the batch validation helper does not."""
    try:
        targets = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
    except OSError:
        return False
    return any(target.endswith(".db") for target in targets)


def test_reads_and_writes_share_one_rate_limit(db: Database, sqlite_url: str) -> None:
    world = make_world(db)
    limited = {"MAXWORK_RATE_LIMIT_PER_SECOND": "0.01", "MAXWORK_RATE_LIMIT_BURST": "2"}
    with running_server(sqlite_url, env=limited) as server:
        writes = [post(server, world, n).status_code for n in range(2)]
        read = httpx.get(
            f"{server.url}/listingexport/leads",
            params=world.caller.params(),
            headers=world.caller.headers(),
        )
    assert writes == [201, 201]
    assert read.status_code == 429
    assert read.headers["RateLimit-Remaining"] == "0"


def test_a_killed_write_process_is_replaced_and_the_service_writes_on(
    db: Database, sqlite_url: str
) -> None:
    world = make_world(db)
    with running_server(sqlite_url) as server:
        assert post(server, world, 1).status_code == 201
        [writer] = write_processes(server)
        os.kill(writer, signal.SIGKILL)
        deadline = time.monotonic() + 20
        statuses = []
        while time.monotonic() < deadline:
            statuses.append(post(server, world, len(statuses) + 2).status_code)
            if statuses[-1] == 201:
                break
        replacement = write_processes(server)
    assert statuses[-1] == 201
    assert set(statuses) <= {201, 500}
    assert len(replacement) == 1 and replacement != [writer]


def test_a_refused_body_is_answered_and_recorded_through_the_write_process(
    db: Database, sqlite_url: str
) -> None:
    """The refusal travels to the write process and back (its error pickled both ways),
    and its history entry is kept, with the caller's credential."""
    world = make_world(db)
    with running_server(sqlite_url) as server:
        refused = httpx.post(
            f"{server.url}/listingexport/leads",
            params=world.caller.params(),
            headers=world.caller.headers(**{"Content-Type": "text/plain"}),
            content=b"Public_Reference=X",
        )
        assert post(server, world, 1).status_code == 201
    assert refused.status_code == 415
    assert refused.json()["Error"]["Code"] == "unsupported_media_type"
    with db.session_scope() as session:
        entries = session.scalars(select(IntegrationRequest).order_by(IntegrationRequest.id)).all()
        assert [(e.status_code, e.username) for e in entries] == [
            (415, world.caller.username),
            (201, world.caller.username),
        ]
        assert entries[0].credential_id == entries[1].credential_id is not None
