"""Fill a database with N leads (+ one lead_activity row each) and N contacts, fast.

Straight into the tables, not through the API: the point is a large database to measure the
API against, in seconds rather than hours. PostgreSQL gets `COPY ... FROM STDIN` (text
format); SQLite gets `executemany` in large transactions with the service's own pragmas.
Every value is written in the form the service itself writes (checked against rows the API
wrote: SQLite keeps UUIDs as 32 hex digits and timestamps as naive UTC text), and every
person is distinct, so the unique indexes hold and later requests behave as in production.

    .venv/bin/python -m bench.bulk_load --database-url URL --leads 100000 --contacts 100000
"""

from __future__ import annotations

import hashlib
import itertools
import os
import sqlite3
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

if __package__ in (None, ""):  # run as `python bench/bulk_load.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import typer

from bench import people

CHUNK = 20_000
ROUTING_REASON = "listing_agent"
MESSAGE = "Bulk-loaded enquiry about the listing"

CONTACT_COLUMNS = (
    "id",
    "agent_id",
    "phone_key",
    "email",
    "name",
    "phone_raw",
    "search_profile",
    "created_at",
    "updated_at",
)
LEAD_COLUMNS = (
    "id",
    "agency_id",
    "agent_id",
    "listing_id",
    "listing_key",
    "public_reference",
    "credential_id",
    "external_id",
    "status",
    "stage",
    "routing_reason",
    "sender_name",
    "email",
    "phone_raw",
    "phone_key",
    "phone_e164",
    "message",
    "last_fingerprint",
    "contact_id",
    "enquired_at",
    "contacted_at",
    "archived_at",
    "created_at",
    "updated_at",
    "change_seq",
)
ACTIVITY_COLUMNS = (
    "id",
    "lead_id",
    "credential_id",
    "user_agent",
    "kind",
    "status_before",
    "status_after",
    "message",
    "changes",
    "payload",
    "created_at",
)


@dataclass(frozen=True)
class Owner:
    """Whose leads these are: the agency, agent, listing and credential from the seed."""

    agency_id: uuid.UUID
    agent_id: uuid.UUID
    listing_id: uuid.UUID
    public_reference: str
    credential_id: uuid.UUID


@dataclass(frozen=True)
class Plan:
    """What to load: people 0..N-1 of `tag`, with phones from `phone_base` on."""

    leads: int
    contacts: int
    tag: str
    phone_base: int


def uuid7s(count: int) -> list[int]:
    """`count` UUIDv7 values (as ints) in increasing order, like maxwork_leads.ids.new_id.

    One millisecond, then a 44-bit counter in the random fields (RFC 9562 allows a counter
    there) and 30 random bits: ordered, so B-tree inserts stay at the right edge, and far
    cheaper than calling new_id() a million times.
    """
    millis = time.time_ns() // 1_000_000
    head = (millis & ((1 << 48) - 1)) << 80 | 0x7 << 76 | 0b10 << 62
    noise = os.urandom(4 * count)
    return [
        head
        | ((k >> 32) & 0xFFF) << 64
        | (k & 0xFFFFFFFF) << 30
        | int.from_bytes(noise[4 * k : 4 * k + 4], "big") >> 2
        for k in range(count)
    ]


def _hex(value: int) -> str:
    return f"{value:032x}"


def _dashed(value: int) -> str:
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@dataclass(frozen=True)
class Codec:
    """How one backend wants UUIDs (given as ints), timestamps and NULLs written."""

    uuid: Callable[[int], str]
    time: Callable[[datetime], str]
    null: Any


# Timestamps are naive UTC datetimes here; PostgreSQL gets the offset spelled out.
SQLITE_CODEC = Codec(_hex, lambda t: t.isoformat(" ", "microseconds"), None)
POSTGRES_CODEC = Codec(_dashed, lambda t: t.isoformat(" ", "microseconds") + "+00", "\\N")


@dataclass
class LoadStats:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    analyze_seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        parts = ", ".join(f"{count:,} {table}" for table, count in self.rows.items())
        text = f"bulk load: {parts} in {self.seconds:.1f} s ({self.rows_per_second:,.0f} rows/s)"
        if self.analyze_seconds:
            text += f"; VACUUM ANALYZE and CHECKPOINT {self.analyze_seconds:.1f} s"
        return text


def _timestamps(count: int) -> Callable[[int], datetime]:
    """Person i enquired `count - i` seconds ago: history in the past, in index order."""
    start = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=count + 60)
    return lambda i: start + timedelta(seconds=i)


def _contact_rows(
    plan: Plan, owner: Owner, codec: Codec, ids: list[int]
) -> Iterator[tuple[Any, ...]]:
    at = _timestamps(plan.contacts)
    agent = codec.uuid(owner.agent_id.int)
    for i in range(plan.contacts):
        phone = people.phone(plan.phone_base + i)
        stamp = codec.time(at(i))
        yield (
            codec.uuid(ids[i]),
            agent,
            phone,
            people.email(plan.tag, i),
            f"Bulk Person {i}",
            phone,
            codec.null,
            stamp,
            stamp,
        )


def _lead_status(i: int, contacts: int) -> str:
    """Every other lead was contacted (and linked to its contact); the rest are new."""
    return "Contacted" if i % 2 == 0 and i < contacts else "New"


def _lead_rows(
    plan: Plan,
    owner: Owner,
    codec: Codec,
    lead_ids: list[int],
    contact_ids: list[int],
    first_seq: int,
) -> Iterator[tuple[Any, ...]]:
    at = _timestamps(plan.leads)
    fixed = {
        "agency": codec.uuid(owner.agency_id.int),
        "agent": codec.uuid(owner.agent_id.int),
        "listing": codec.uuid(owner.listing_id.int),
        "credential": codec.uuid(owner.credential_id.int),
    }
    for i in range(plan.leads):
        email = people.email(plan.tag, i)
        phone = people.phone(plan.phone_base + i)
        status = _lead_status(i, plan.contacts)
        contacted = status == "Contacted"
        stamp = codec.time(at(i))
        yield (
            codec.uuid(lead_ids[i]),
            fixed["agency"],
            fixed["agent"],
            fixed["listing"],
            str(owner.listing_id),
            owner.public_reference,
            fixed["credential"],
            f"{plan.tag}-{i}" if i % 2 == 0 else codec.null,
            status,
            "Lead",
            ROUTING_REASON,
            f"Bulk Person {i}",
            email,
            phone,
            phone,
            phone,
            MESSAGE,
            hashlib.sha256(email.encode()).hexdigest(),
            codec.uuid(contact_ids[i]) if contacted else codec.null,
            stamp,
            stamp if contacted else codec.null,
            codec.null,
            stamp,
            stamp,
            first_seq + i,
        )


def _activity_rows(
    plan: Plan, owner: Owner, codec: Codec, lead_ids: list[int]
) -> Iterator[tuple[Any, ...]]:
    at = _timestamps(plan.leads)
    credential = codec.uuid(owner.credential_id.int)
    activity_ids = uuid7s(plan.leads)
    for i in range(plan.leads):
        status = _lead_status(i, plan.contacts)
        payload = (
            f'{{"Public_Reference": "{owner.public_reference}", '
            f'"Sender_Name": "Bulk Person {i}", "Sender_Email": "{people.email(plan.tag, i)}", '
            f'"Sender_Phone": "{people.phone(plan.phone_base + i)}", "Message": "{MESSAGE}", '
            f'"Lead_Status": "{status}"}}'
        )
        yield (
            codec.uuid(activity_ids[i]),
            codec.uuid(lead_ids[i]),
            credential,
            "bench-bulk-load",
            "created",
            codec.null,
            status,
            MESSAGE,
            f'{{"status": [null, "{status}"], "routing": "{ROUTING_REASON}"}}',
            payload,
            codec.time(at(i)),
        )


def _chunks(rows: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _tables(
    plan: Plan, owner: Owner, codec: Codec, first_seq: int
) -> list[tuple[str, Sequence[str], Iterator[tuple[Any, ...]]]]:
    """(table, columns, rows) in foreign-key order: contacts, then leads, then activity."""
    contact_ids = uuid7s(plan.contacts)
    lead_ids = uuid7s(plan.leads)
    tables = [
        ("contacts", CONTACT_COLUMNS, _contact_rows(plan, owner, codec, contact_ids)),
        (
            "leads",
            LEAD_COLUMNS,
            _lead_rows(plan, owner, codec, lead_ids, contact_ids, first_seq),
        ),
        ("lead_activity", ACTIVITY_COLUMNS, _activity_rows(plan, owner, codec, lead_ids)),
    ]
    return [table for table in tables if _count(plan, table[0])]


def _count(plan: Plan, table: str) -> int:
    return plan.contacts if table == "contacts" else plan.leads


def sqlite_path(database_url: str) -> Path:
    """The file of a `sqlite:///path` URL (four slashes for an absolute path)."""
    return Path(database_url.removeprefix("sqlite:///"))


def _load_sqlite(database_url: str, plan: Plan, owner: Owner) -> LoadStats:
    conn = sqlite3.connect(sqlite_path(database_url), isolation_level=None, timeout=30)
    try:
        # The service's pragmas: WAL, NORMAL durability, foreign keys checked.
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA cache_size=-262144")
        first_seq = conn.execute("SELECT COALESCE(MAX(change_seq), 0) + 1 FROM leads").fetchone()
        stats = LoadStats()
        started = time.perf_counter()
        for table, columns, rows in _tables(plan, owner, SQLITE_CODEC, first_seq[0]):
            marks = ", ".join("?" * len(columns))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            for chunk in _chunks(rows, CHUNK * 2):
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(sql, chunk)
                conn.execute("COMMIT")
            stats.rows[table] = _count(plan, table)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        stats.seconds = time.perf_counter() - started
        return stats
    finally:
        conn.close()


def _load_postgres(database_url: str, plan: Plan, owner: Owner) -> LoadStats:
    import psycopg

    stats = LoadStats()
    with psycopg.connect(database_url) as conn:
        # Foreign keys are checked once, set-based, at the end (_check_references) instead of
        # by a trigger per row, which made the load 2-3 times slower.
        conn.execute("SET session_replication_role = replica")
        started = time.perf_counter()
        # Small integers: below every transaction ID, so the change feed shows these rows.
        for table, columns, rows in _tables(plan, owner, POSTGRES_CODEC, 1):
            sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            with conn.cursor() as cursor, cursor.copy(sql) as copy:
                for chunk in _chunks(rows, CHUNK):
                    copy.write("".join("\t".join(map(str, row)) + "\n" for row in chunk))
            stats.rows[table] = _count(plan, table)
        _check_references(conn)
        conn.commit()
        stats.seconds = time.perf_counter() - started
    stats.analyze_seconds = _vacuum_analyze(database_url, [t for t in stats.rows])
    return stats


REFERENCE_CHECKS = {
    "leads.contact_id": "SELECT count(*) FROM leads l LEFT JOIN contacts c ON c.id = l.contact_id "
    "WHERE l.contact_id IS NOT NULL AND c.id IS NULL",
    "lead_activity.lead_id": "SELECT count(*) FROM lead_activity a "
    "LEFT JOIN leads l ON l.id = a.lead_id WHERE l.id IS NULL",
}


def _check_references(conn: Any) -> None:
    """Every loaded row points at rows that exist; else the whole load rolls back."""
    for reference, query in REFERENCE_CHECKS.items():
        dangling = conn.execute(query).fetchone()[0]
        if dangling:
            raise RuntimeError(f"bulk load left {dangling} dangling {reference} references")


def _vacuum_analyze(database_url: str, tables: list[str]) -> float:
    """What autovacuum would soon do anyway, and a checkpoint that writes the loaded pages
    out: done now, so that neither lands mid-measurement (as SQLite's load ends with one)."""
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(database_url, autocommit=True) as conn:
        for table in tables:
            conn.execute(f"VACUUM ANALYZE {table}")
        conn.execute("CHECKPOINT")
    return time.perf_counter() - started


def load(database_url: str, owner: Owner, plan: Plan) -> LoadStats:
    """Insert the plan's contacts, leads and lead_activity rows; returns counts and timing."""
    if database_url.startswith("sqlite"):
        return _load_sqlite(database_url, plan, owner)
    return _load_postgres(database_url, plan, owner)


def find_owner(database_url: str) -> Owner:
    """The first listing, its agency and agent, and a credential of that agency (or any)."""
    from sqlalchemy import or_, select

    from maxwork_leads.db import Database
    from maxwork_leads.models import Credential, Listing
    from maxwork_leads.settings import Settings

    db = Database(Settings(database_url=database_url))
    try:
        with db.session_scope() as session:
            listing = session.scalar(select(Listing).order_by(Listing.created_at).limit(1))
            if listing is None:
                raise SystemExit("no listing in the database: create one first")
            credential = session.scalar(
                select(Credential)
                .where(
                    or_(Credential.agency_id == listing.agency_id, Credential.agency_id.is_(None))
                )
                .order_by(Credential.agency_id.is_(None), Credential.created_at)
                .limit(1)
            )
            if credential is None:
                raise SystemExit("no credential in the database: create one first")
            return Owner(
                listing.agency_id,
                listing.agent_id,
                listing.id,
                listing.public_reference,
                credential.id,
            )
    finally:
        db.dispose()


cli = typer.Typer(add_completion=False)


@cli.command()
def main(
    database_url: Annotated[str, typer.Option(help="sqlite:///file or postgresql:// URL.")],
    leads: Annotated[int, typer.Option(min=0, help="Leads to insert (+1 activity each).")] = 0,
    contacts: Annotated[int, typer.Option(min=0, help="Contacts to insert.")] = 0,
    tag: Annotated[str | None, typer.Option(help="Email tag; unique per load.")] = None,
    phone_base: Annotated[int, typer.Option(min=0, help="First phone-space index.")] = 0,
) -> None:
    """Bulk-load leads and contacts for the first listing of a migrated, seeded database."""
    owner = find_owner(database_url)
    plan = Plan(leads, contacts, tag or f"bulk{int(time.time())}", phone_base)
    typer.echo(load(database_url, owner, plan).summary())


if __name__ == "__main__":
    cli()
