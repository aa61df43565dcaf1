"""Fill a database with N leads (+ one lead_activity row each) and N contacts, fast.

Straight into the tables, not through the API: the point is a large database to measure the
API against, in seconds rather than minutes. Every row is made by the database itself, one
`INSERT ... SELECT` over a range of person indexes per transaction: no row crosses the wire
or passes through Python, which made up most of the load's time when each was built in
Python and sent (by `COPY` or `executemany`). Every value is in the form the service itself
writes (checked against rows the API wrote: SQLite keeps UUIDs as 32 hex digits and
timestamps as naive UTC text), and every person is distinct, so the unique indexes hold and
later requests behave as in production; `tests/bench/test_bulk_load.py` holds the service
to finding the loaded people.

    .venv/bin/python -m bench.bulk_load --database-url URL --leads 100000 --contacts 100000
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

if __package__ in (None, ""):  # run as `python bench/bulk_load.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import typer

from bench import people

CHUNK = 50_000  # people per INSERT ... SELECT (and, on SQLite, per transaction)
ROUTING_REASON = "listing_agent"
MESSAGE = "Bulk-loaded enquiry about the listing"


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


@dataclass(frozen=True)
class IdSeries:
    """The UUIDv7 values of one table in one load: number k is person k's row.

    Like `maxwork_leads.ids.new_id`: one millisecond, version 7, variant 10, then the
    counter k where the random bits go (RFC 9562 allows a counter there), and 30 bits drawn
    once per series. Ordered, so B-tree inserts stay at the right edge; and a formula, so a
    lead names its contact's ID without a join. Loads are far below 2**32 rows, so the
    counter's top 12 bits (rand_a) stay zero.
    """

    millis: int
    salt: int

    @classmethod
    def fresh(cls) -> IdSeries:
        return cls(time.time_ns() // 1_000_000 & (1 << 48) - 1, int.from_bytes(os.urandom(4)) >> 2)


class Dialect:
    """SQL that both databases read, and the few spellings where they differ (SQLite's)."""

    def param(self, name: str) -> str:
        return f":{name}"

    def hex(self, expr: str, digits: int) -> str:
        return f"printf('%0{digits}x', {expr})"

    def padded(self, expr: str, digits: int) -> str:
        """Decimal, zero-padded to at least `digits`, as Python's f"{n:0{digits}d}"."""
        return f"printf('%0{digits}d', {expr})"

    def uuid(self, hex_expr: str) -> str:
        return hex_expr  # what SQLAlchemy's Uuid stores on SQLite: 32 hex digits

    def time(self, seconds: str) -> str:
        """`start` plus `seconds`, as SQLAlchemy stores a naive UTC datetime on SQLite."""
        return f"strftime('%Y-%m-%d %H:%M:%S', :start + {seconds}, 'unixepoch') || :fraction"

    def json(self, expr: str) -> str:
        return expr

    def mod(self, a: str, b: str | int) -> str:
        return f"(({a}) % {b})"

    def uuid_value(self, value: uuid.UUID) -> str:
        return value.hex

    def fingerprint(self, expr: str) -> str:
        return f"sha256_hex({expr})"  # registered on the connection by _load_sqlite

    def people(self, lo: int, hi: int) -> str:
        """A CTE `person(i)` of the indexes lo <= i < hi."""
        return (
            f"WITH RECURSIVE person(i) AS (SELECT {lo} UNION ALL "
            f"SELECT i + 1 FROM person WHERE i < {hi - 1})"
        )

    def time_params(self, start: datetime) -> dict[str, Any]:
        return {"start": int(start.timestamp()), "fraction": f".{start.microsecond:06d}"}


class PostgresDialect(Dialect):
    def param(self, name: str) -> str:
        return f"%({name})s"

    def hex(self, expr: str, digits: int) -> str:
        return f"lpad(to_hex({expr}), {digits}, '0')"

    def padded(self, expr: str, digits: int) -> str:
        return f"lpad(({expr})::text, greatest({digits}, length(({expr})::text)), '0')"

    def uuid(self, hex_expr: str) -> str:
        return f"CAST({hex_expr} AS uuid)"

    def time(self, seconds: str) -> str:
        return f"%(start)s::timestamptz + ({seconds}) * interval '1 second'"

    def json(self, expr: str) -> str:
        return f"CAST({expr} AS json)"

    def mod(self, a: str, b: str | int) -> str:
        return f"mod({a}, {b})"  # `%` would be a placeholder to psycopg

    def uuid_value(self, value: uuid.UUID) -> str:
        return str(value)

    def fingerprint(self, expr: str) -> str:
        return f"encode(sha256(convert_to({expr}, 'UTF8')), 'hex')"

    def people(self, lo: int, hi: int) -> str:
        return f"WITH person(i) AS (SELECT generate_series({lo}, {hi - 1}))"

    def time_params(self, start: datetime) -> dict[str, Any]:
        return {"start": start}


def _sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Table:
    """One table's share of a load: `count` rows, person i's made of `columns`' values."""

    name: str
    count: int
    columns: dict[str, str]  # column -> SQL expression of person index i

    def insert(self, sql: Dialect, lo: int, hi: int) -> str:
        return (
            f"{sql.people(lo, hi)} INSERT INTO {self.name} ({', '.join(self.columns)}) "
            f"SELECT {', '.join(self.columns.values())} FROM person"
        )


class Rows:
    """SQL for the values of person i of one load, in the service's own forms."""

    def __init__(self, sql: Dialect, plan: Plan) -> None:
        if max(plan.leads, plan.contacts) >= 1 << 32:
            raise ValueError("a load takes fewer than 2**32 people (see IdSeries)")
        self.sql = sql
        self.plan = plan
        self.contact_ids = IdSeries.fresh()
        self.lead_ids = IdSeries.fresh()
        self.activity_ids = IdSeries.fresh()

    def id(self, series: IdSeries) -> str:
        """Person i's UUID in `series` (see IdSeries): the series' 16 hex digits, then 16
        made of i and the salt."""
        sql, k = self.sql, "CAST(i AS BIGINT)"
        return sql.uuid(
            f"'{series.millis:012x}7000' || {sql.hex(f'2147483648 | ({k} >> 2)', 8)}"
            f" || {sql.hex(f'(({k} & 3) << 30) | {series.salt}', 8)}"
        )

    def phone(self) -> str:
        """people.phone(phone_base + i), which is also the service's phone key."""
        n = self.sql.mod(f"{self.plan.phone_base} + i", people.SPACE)
        prefixes = "".join(people.PREFIXES)
        return (
            f"'+351' || substr('{prefixes}', 2 * ({n} / {people.BLOCK}) + 1, 2)"
            f" || {self.sql.padded(self.sql.mod(n, people.BLOCK), 7)}"
        )

    def email(self) -> str:
        """people.email(tag, i)."""
        p = self.sql.param
        return f"{p('tag')} || '.' || {self.sql.padded('i', 7)} || '@' || {p('domain')}"

    def name(self) -> str:
        return "'Bulk Person ' || i"

    def contacted(self) -> str:
        """Every other person who is also a contact was contacted (and linked to it)."""
        return f"({self.sql.mod('i', 2)} = 0 AND i < {self.plan.contacts})"

    def status(self) -> str:
        return f"CASE WHEN {self.contacted()} THEN 'Contacted' ELSE 'New' END"

    def when(self) -> str:
        """Person i enquired `count - i` seconds before the load: history, in index order."""
        return self.sql.time("i")

    def params(self, owner: Owner) -> dict[str, Any]:
        count = max(self.plan.leads, self.plan.contacts)
        start = datetime.now(UTC) - timedelta(seconds=count + 60)
        ids = {
            "agency": owner.agency_id,
            "agent": owner.agent_id,
            "listing": owner.listing_id,
            "credential": owner.credential_id,
        }
        return {
            **{key: self.sql.uuid_value(value) for key, value in ids.items()},
            "listing_key": str(owner.listing_id),
            "reference": owner.public_reference,
            "tag": self.plan.tag,
            "domain": people.EMAIL_DOMAIN,
            "message": MESSAGE,
            "routing": ROUTING_REASON,
            **self.sql.time_params(start),
        }

    def tables(self, first_seq: int) -> list[Table]:
        """Contacts, leads and lead_activity, in foreign-key order, the empty ones left out."""
        sql, p = self.sql, self.sql.param
        when, email, phone, status = self.when(), self.email(), self.phone(), self.status()
        contacts = Table(
            "contacts",
            self.plan.contacts,
            {
                "id": self.id(self.contact_ids),
                "agent_id": sql.uuid(p("agent")),
                "phone_key": phone,
                "email": email,
                "name": self.name(),
                "phone_raw": phone,
                "search_profile": "NULL",
                "created_at": when,
                "updated_at": when,
            },
        )
        leads = Table(
            "leads",
            self.plan.leads,
            {
                "id": self.id(self.lead_ids),
                "agency_id": sql.uuid(p("agency")),
                "agent_id": sql.uuid(p("agent")),
                "listing_id": sql.uuid(p("listing")),
                "listing_key": p("listing_key"),
                "public_reference": p("reference"),
                "credential_id": sql.uuid(p("credential")),
                "external_id": f"CASE WHEN {sql.mod('i', 2)} = 0 THEN {p('tag')} || '-' || i END",
                "status": status,
                "stage": "'Lead'",
                "routing_reason": p("routing"),
                "sender_name": self.name(),
                "email": email,
                "phone_raw": phone,
                "phone_key": phone,
                "phone_e164": phone,
                "message": p("message"),
                "last_fingerprint": sql.fingerprint(email),
                "contact_id": f"CASE WHEN {self.contacted()} THEN {self.id(self.contact_ids)} END",
                "enquired_at": when,
                "contacted_at": f"CASE WHEN {self.contacted()} THEN {when} END",
                "archived_at": "NULL",
                "created_at": when,
                "updated_at": when,
                "change_seq": f"{first_seq} + i",
            },
        )
        payload = (
            f"""'{{"Public_Reference": "' || {p("reference")} || '", "Sender_Name": "' ||"""
            f""" {self.name()} || '", "Sender_Email": "' || {email} || '", "Sender_Phone": "'"""
            f""" || {phone} || '", "Message": "' || {p("message")} || '", "Lead_Status": "'"""
            f""" || {status} || '"}}'"""
        )
        changes = (
            f"""'{{"status": [null, "' || {status} || '"], "routing": "' || {p("routing")}"""
            f""" || '"}}'"""
        )
        activity = Table(
            "lead_activity",
            self.plan.leads,
            {
                "id": self.id(self.activity_ids),
                "lead_id": self.id(self.lead_ids),
                "credential_id": sql.uuid(p("credential")),
                "user_agent": "'bench-bulk-load'",
                "kind": "'created'",
                "status_before": "NULL",
                "status_after": status,
                "message": p("message"),
                "changes": sql.json(changes),
                "payload": sql.json(payload),
                "created_at": when,
            },
        )
        return [table for table in (contacts, leads, activity) if table.count]


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
        conn.create_function("sha256_hex", 1, _sha256_hex, deterministic=True)
        first_seq = conn.execute("SELECT COALESCE(MAX(change_seq), 0) + 1 FROM leads").fetchone()
        rows = Rows(Dialect(), plan)
        params = rows.params(owner)
        stats = LoadStats()
        started = time.perf_counter()
        for table in rows.tables(first_seq[0]):
            for lo in range(0, table.count, CHUNK):
                conn.execute("BEGIN IMMEDIATE")
                conn.execute(table.insert(rows.sql, lo, min(lo + CHUNK, table.count)), params)
                conn.execute("COMMIT")
            stats.rows[table.name] = table.count
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        stats.seconds = time.perf_counter() - started
        return stats
    finally:
        conn.close()


def _load_postgres(database_url: str, plan: Plan, owner: Owner) -> LoadStats:
    """Leads (eleven indexes) on one connection, contacts and then activity (five between
    them) on another, at once: the two take about as long, and each keeps a core busy."""
    from concurrent.futures import ThreadPoolExecutor

    import psycopg

    rows = Rows(PostgresDialect(), plan)
    params = rows.params(owner)
    # Small integers: below every transaction ID, so the change feed shows these rows.
    tables = rows.tables(1)
    lanes = [[t for t in tables if t.name == "leads"], [t for t in tables if t.name != "leads"]]

    def fill(lane: list[Table]) -> None:
        with psycopg.connect(database_url) as conn:
            # Foreign keys are checked once, set-based, at the end (_check_references)
            # instead of by a trigger per row, which made the load 2-3 times slower; that
            # also lets the tables fill at once, in any order.
            conn.execute("SET session_replication_role = replica")
            for table in lane:
                for lo in range(0, table.count, CHUNK):
                    conn.execute(table.insert(rows.sql, lo, min(lo + CHUNK, table.count)), params)

    stats = LoadStats()
    started = time.perf_counter()
    with ThreadPoolExecutor(len(lanes)) as pool:
        for done in [pool.submit(fill, lane) for lane in lanes if lane]:
            done.result()
    with psycopg.connect(database_url) as conn:
        _check_references(conn)
    stats.rows = {table.name: table.count for table in tables}
    stats.seconds = time.perf_counter() - started
    stats.analyze_seconds = _vacuum_analyze(database_url, list(stats.rows))
    return stats


REFERENCE_CHECKS = {
    "leads.contact_id": "SELECT count(*) FROM leads l LEFT JOIN contacts c ON c.id = l.contact_id "
    "WHERE l.contact_id IS NOT NULL AND c.id IS NULL",
    "lead_activity.lead_id": "SELECT count(*) FROM lead_activity a "
    "LEFT JOIN leads l ON l.id = a.lead_id WHERE l.id IS NULL",
}


def _check_references(conn: Any) -> None:
    """Every loaded row points at rows that exist; else the load fails, and the run with it
    (the loaded rows stay: they are in a database made for the run)."""
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
