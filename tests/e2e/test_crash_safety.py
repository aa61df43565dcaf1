"""SIGKILL the real server mid-stream: after a restart no acknowledged lead is lost or doubled.

Four clients stream distinct leads at `maxwork-leads serve`; when a chosen number of them
has been acknowledged (2xx), the whole process group is killed with SIGKILL while other
requests are still in flight. The server then restarts on the same database and port, and:

* every acknowledged lead exists exactly once, by `Lead_Id` and by sender email;
* the database passes `check_database` (no orphan, duplicate or half-applied row);
* the restarted server creates a new lead (201), answers an acknowledged request again
  with 200 `unchanged`, and requests whose fate was unknown (connection lost) can be sent
  again without ever creating a second lead.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from maxwork_leads.db import Database
from maxwork_leads.models import IntegrationRequest
from maxwork_leads.settings import Settings
from tests.conftest import empty_tables
from tests.e2e.consistency import check_database, count_leads_by_email, count_leads_by_id
from tests.e2e.server import CLI, free_port, stop
from tests.factories import Caller, World, lead_body, make_world

KILL_POINTS = (30, 120, 250)
CLIENTS = 4
STREAM_MARGIN = 60  # leads prepared beyond the kill point: the stream is bounded
MAX_STREAM = 380  # and never more than this, so a run sends at most ~390 lead POSTs
UNKNOWN_RESENDS = 4
REQUEST_TIMEOUT = 10.0
DRIVE_SECONDS = 40.0
READY_SECONDS = 30.0
# Rate limiting off: the SQLite server's in-memory limiter would answer 429 past its burst,
# and two PostgreSQL workers need Redis for it.
UNLIMITED = {"MAXWORK_RATE_LIMIT_PER_SECOND": "0"}
QUALIFICATION = {
    "Price_Min": 100_000,
    "Price_Max": 250_000,
    "Room_Min": 1,
    "Room_Max": 3,
    "LeadType_Id": 1,
    "Business_TypeId": "Sale",
    "PropertyType_Id": "apartment",
    "Listing_Attributes": [1, "Balcony"],
}


# --- the server as a process group that can be killed and started again on one port ---


class ServerProcess:
    """`maxwork-leads serve` in its own session (so its workers share its process group)."""

    def __init__(self, database_url: str, port: int, workers: int, log_path: Path) -> None:
        self.database_url = database_url
        self.port = port
        self.workers = workers
        self.log_path = log_path
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ServerProcess:
        env = {**os.environ, "MAXWORK_DATABASE_URL": self.database_url, **UNLIMITED}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [CLI, "serve", "--port", str(self.port), "--workers", str(self.workers)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None, "server not started"
        return self.process.pid

    def wait_ready(self, timeout: float = READY_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server not ready after {timeout:.0f}s:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL every process of the group at once: no shutdown code runs anywhere."""
        os.killpg(self.pid, signal.SIGKILL)

    def wait_dead(self, timeout: float = 10) -> None:
        """Reap the leader and wait until no live process is left in its group."""
        assert self.process is not None
        self.process.wait(timeout=timeout)
        deadline = time.monotonic() + timeout
        while _group_alive(self.pid):
            if time.monotonic() > deadline:
                raise RuntimeError(f"process group {self.pid} survived SIGKILL")
            time.sleep(0.05)

    def close(self) -> None:
        """Stop the server if it still runs (SIGTERM, then SIGKILL); never raises."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            stop(self.process)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


def _group_alive(pgid: int) -> bool:
    """Whether any non-zombie process still belongs to the group (read from /proc)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        state, pgrp = fields[0], int(fields[2])
        if pgrp == pgid and state not in ("Z", "X"):
            return True
    return False


# --- the stream of distinct leads ---


def stream_body(world: World, tag: str, i: int) -> dict[str, Any]:
    """Lead number i: distinct email and phone; a mix of statuses, external IDs, qualification
    fields and manual (listing-less) leads."""
    extra: dict[str, Any] = {}
    if i % 4 == 0:
        extra["External_LeadId"] = f"{tag}-ext-{i}"
    if i % 5 == 2:
        extra.update(QUALIFICATION)
    return lead_body(
        Public_Reference="None" if i % 7 == 3 else world.listing.public_reference,
        Sender_Name=f"Crash Person {i}",
        Sender_Email=f"{tag}-{i}@example.com",
        Sender_Phone=f"+351 912 {i // 1000:03d} {i % 1000:03d}",
        Message=f"Enquiry {i} of {tag}",
        Lead_Status="Contacted" if i % 3 == 1 else "New",
        **extra,
    )


@dataclass(frozen=True)
class Acknowledged:
    body: dict[str, Any]
    status: int
    lead_id: str
    email: str


@dataclass
class Ledger:
    """What the clients know: acknowledged, unknown (connection lost) and refused requests."""

    sent: int = 0
    in_flight: int = 0
    in_flight_at_kill: int | None = None
    killed_at: float | None = None
    acknowledged: list[Acknowledged] = field(default_factory=list)
    unknown: list[dict[str, Any]] = field(default_factory=list)
    errors_before_kill: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def drive(
    base_url: str,
    caller: Caller,
    bodies: list[dict[str, Any]],
    kill_point: int,
    kill: Callable[[], None],
) -> Ledger:
    """Stream `bodies` from CLIENTS threads; call `kill` at the kill_point-th acknowledgement.

    After the kill each client stops at its next answer; a transport error makes the
    request "unknown" (it may or may not have been committed) and stops that client.
    """
    ledger = Ledger()
    lock = threading.Lock()
    killed = threading.Event()
    indexes = itertools.count()
    deadline = time.monotonic() + DRIVE_SECONDS

    def client_loop(_: int) -> None:
        with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT) as client:
            while not killed.is_set() and time.monotonic() < deadline:
                with lock:
                    i = next(indexes)
                    if i >= len(bodies):
                        return
                    ledger.sent += 1
                    ledger.in_flight += 1
                body = bodies[i]
                try:
                    response = client.post(
                        "/listingexport/leads",
                        params=caller.params(),
                        headers=caller.headers(),
                        json=body,
                    )
                except httpx.TransportError as exc:
                    with lock:
                        ledger.in_flight -= 1
                        ledger.unknown.append(body)
                        if not killed.is_set():
                            ledger.errors_before_kill.append(f"lead {i}: {exc!r}")
                    return
                with lock:
                    ledger.in_flight -= 1
                    if 200 <= response.status_code < 300:
                        answer = response.json()
                        ledger.acknowledged.append(
                            Acknowledged(
                                body, response.status_code, answer["Lead_Id"], body["Sender_Email"]
                            )
                        )
                        if len(ledger.acknowledged) == kill_point:
                            ledger.in_flight_at_kill = ledger.in_flight
                            ledger.killed_at = time.monotonic()
                            kill()
                            killed.set()
                    else:
                        ledger.refused.append(f"lead {i}: {response.status_code} {response.text}")

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        for future in [pool.submit(client_loop, n) for n in range(CLIENTS)]:
            future.result()
    return ledger


# --- the databases ---


@dataclass(frozen=True)
class Target:
    name: str
    url: str
    workers: int
    database: Database


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    """SQLite: a fresh file migrated by the CLI, one worker. PostgreSQL: emptied, two workers."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'crash.db'}"
        env = {**os.environ, "MAXWORK_DATABASE_URL": url}
        subprocess.run([CLI, "db", "upgrade"], env=env, check=True, capture_output=True)
        workers = 1
    else:
        url = request.getfixturevalue("postgresql_url")
        workers = 2
    database = Database(Settings(database_url=url))
    empty_tables(database)
    yield Target(request.param, url, workers, database)
    empty_tables(database)
    database.dispose()


# --- the test ---


def post(
    base_url: str, caller: Caller, body: dict[str, Any], timeout: float = REQUEST_TIMEOUT
) -> httpx.Response:
    return httpx.post(
        f"{base_url}/listingexport/leads",
        params=caller.params(),
        headers=caller.headers(),
        json=body,
        timeout=timeout,
    )


def acknowledged_without_history(database: Database, lead_ids: list[str]) -> set[str]:
    """Acknowledged leads with no 2xx history row: the history commits with the effect."""
    wanted = {uuid.UUID(lead_id) for lead_id in lead_ids}
    query = select(IntegrationRequest.lead_id).where(
        IntegrationRequest.lead_id.in_(wanted),
        IntegrationRequest.status_code.between(200, 299),
    )
    with database.engine.connect() as conn:
        recorded = set(conn.scalars(query))
    return {str(lead_id) for lead_id in wanted - recorded}


@pytest.mark.parametrize("kill_point", KILL_POINTS)
def test_acknowledged_leads_survive_a_sigkill_of_the_server(
    target: Target, kill_point: int, tmp_path: Path
) -> None:
    started = time.monotonic()
    database = target.database
    world = make_world(database)
    caller = world.caller
    tag = f"k{kill_point}-{uuid.uuid4().hex[:6]}"
    bodies = [
        stream_body(world, tag, i) for i in range(min(kill_point + STREAM_MARGIN, MAX_STREAM))
    ]
    port = free_port()
    log_path = tmp_path / "server.log"
    first = ServerProcess(target.url, port, target.workers, log_path)
    again = ServerProcess(target.url, port, target.workers, log_path)
    try:
        first.start().wait_ready()
        ledger = drive(first.url, caller, bodies, kill_point, first.kill)
        if ledger.killed_at is None:  # the kill point was never reached: no crash to test
            first.kill()
        first.wait_dead()

        restart_began = time.monotonic()
        again.start().wait_ready()
        restart_seconds = time.monotonic() - restart_began

        acked_ids = [ack.lead_id for ack in ledger.acknowledged]
        by_id = count_leads_by_id(database, acked_ids)
        by_email = count_leads_by_email(database, [ack.email for ack in ledger.acknowledged])
        unknown_emails = count_leads_by_email(database, [b["Sender_Email"] for b in ledger.unknown])
        violations = check_database(database)
        missing_history = acknowledged_without_history(database, acked_ids)

        # The restarted server works: a new lead, a retry of an acknowledged one, and the
        # requests whose answer was lost in the crash.
        fresh = post(again.url, caller, stream_body(world, f"{tag}-after", 0))
        retried = ledger.acknowledged[-1] if ledger.acknowledged else None
        replay = post(again.url, caller, retried.body) if retried else None
        resent = [
            (body, post(again.url, caller, body)) for body in ledger.unknown[:UNKNOWN_RESENDS]
        ]
        after_resend = count_leads_by_email(database, [b["Sender_Email"] for b, _ in resent])
        violations_after = check_database(database)

        committed_unknown = sum(1 for n in unknown_emails.values() if n)
        print(
            f"\n[crash-safety] {target.name} ({target.workers} worker(s)) kill at {kill_point}: "
            f"sent {ledger.sent}, acknowledged {len(ledger.acknowledged)}, "
            f"in flight at kill {ledger.in_flight_at_kill}, unknown {len(ledger.unknown)} "
            f"({committed_unknown} committed), refused {len(ledger.refused)}, "
            f"resent {len(resent)}, violations {len(violations)}+{len(violations_after)}, "
            f"restart {restart_seconds:.1f}s, run {time.monotonic() - started:.1f}s",
            flush=True,
        )
    finally:
        first.close()
        again.close()

    assert ledger.killed_at is not None, (
        f"only {len(ledger.acknowledged)} of {kill_point} acknowledgements before the stream "
        f"ended; refused: {ledger.refused[:3]}; errors: {ledger.errors_before_kill[:3]}"
    )
    assert not ledger.errors_before_kill, ledger.errors_before_kill
    assert not ledger.refused, ledger.refused[:5]
    assert ledger.sent + len(resent) + 2 <= 400

    lost = sorted(lead_id for lead_id, n in by_id.items() if n != 1)
    assert not lost, f"acknowledged Lead_Ids not found exactly once: {lost[:10]}"
    assert len(set(acked_ids)) == len(acked_ids), "two acknowledgements named one Lead_Id"
    wrong = {email: n for email, n in by_email.items() if n != 1}
    assert not wrong, f"acknowledged emails without exactly one lead: {wrong}"
    doubled = {email: n for email, n in unknown_emails.items() if n > 1}
    assert not doubled, f"unknown requests that made several leads: {doubled}"
    assert not missing_history, f"acknowledged leads missing from the history: {missing_history}"
    assert violations == [], "\n".join(violations)

    assert fresh.status_code == 201, fresh.text
    assert replay is not None and retried is not None
    assert replay.status_code == 200, replay.text
    assert replay.json()["Operation"] == "unchanged", replay.text
    assert replay.json()["Lead_Id"] == retried.lead_id
    for body, response in resent:
        assert response.status_code in (200, 201), response.text
        committed = unknown_emails[body["Sender_Email"]] == 1
        assert response.status_code == (200 if committed else 201), (
            f"{body['Sender_Email']}: {'committed' if committed else 'absent'} before the "
            f"resend, which answered {response.status_code} {response.text}"
        )
        if committed:
            assert response.json()["Operation"] == "unchanged", response.text
    assert all(n == 1 for n in after_resend.values()), after_resend
    assert violations_after == [], "\n".join(violations_after)
