"""The databases under test: create them fresh, migrate, seed, measure, and the commit baseline.

The seed goes through the package's own services (as tests/factories.py does), so the
agency, users, listing and credential are exactly what the service itself would create.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench import tools
from bench.bulk_load import Owner, sqlite_path

POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
POSTGRES_BENCH_DB = "maxwork_bench"
POSTGRES_BENCH_URL = f"postgresql://postgres@127.0.0.1:5432/{POSTGRES_BENCH_DB}"
ONE_ROW_SQL = Path(__file__).resolve().parent / "sql" / "one_row.sql"
SCRATCH_TABLE = "bench_one_row"


@dataclass(frozen=True)
class Target:
    """One database under test and how the server is run on it."""

    kind: str  # "sqlite" or "postgresql"
    url: str
    workers: int
    workdir: Path  # temporary files of this run (the SQLite file, server logs)

    @property
    def label(self) -> str:
        return "SQLite" if self.kind == "sqlite" else "PostgreSQL"


@dataclass(frozen=True)
class Seed:
    """What the seed created and what a client needs to send leads."""

    owner: Owner
    username: str
    token: str


def fresh(kind: str, workdir: Path, name: str = POSTGRES_BENCH_DB) -> Target:
    """An empty database of `kind`: a new temp file, or PostgreSQL database `name`
    dropped and created."""
    if kind == "sqlite":
        return Target(kind, f"sqlite:///{workdir / 'bench.db'}", 1, workdir)
    _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}")
    return Target(kind, POSTGRES_BENCH_URL.rsplit("/", 1)[0] + f"/{name}", 2, workdir)


def _admin(*statements: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)  # type: ignore[arg-type]


def cleanup(target: Target, keep: bool) -> None:
    """Remove what `fresh` made (and the server logs), unless asked to keep it for a look."""
    if keep:
        print(f"   kept: {target.url} and {target.workdir}", flush=True)
        return
    shutil.rmtree(target.workdir, ignore_errors=True)
    if target.kind == "postgresql":
        _admin(f"DROP DATABASE IF EXISTS {target.url.rsplit('/', 1)[1]} WITH (FORCE)")


def serve_command(target: Target, port: int) -> tuple[list[str], dict[str, str]]:
    """The production command (`maxwork-leads serve`) for this database, and its
    environment: rate limiting off, so that the load is measured, not refused."""
    command = [str(tools.BIN / "maxwork-leads"), "serve", "--port", str(port)]
    command += ["--workers", str(target.workers)]
    return command, {"MAXWORK_DATABASE_URL": target.url, "MAXWORK_RATE_LIMIT_PER_SECOND": "0"}


def migrate(target: Target, extra_env: dict[str, str] | None = None) -> None:
    """`maxwork-leads db upgrade`, the production migration command."""
    env = {**os.environ, "MAXWORK_DATABASE_URL": target.url, **(extra_env or {})}
    done = subprocess.run(
        [str(tools.BIN / "maxwork-leads"), "db", "upgrade"], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"maxwork-leads db upgrade failed:\n{done.stdout}{done.stderr}")


def seed(target: Target) -> Seed:
    """One agency, a lead manager, an agent, a listing and a credential, via the services."""
    from maxwork_leads.credentials import service as credentials
    from maxwork_leads.db import Database
    from maxwork_leads.directory import service as directory
    from maxwork_leads.settings import Settings

    db = Database(Settings(database_url=target.url, rate_limit_per_second=0))
    try:
        with db.session_scope() as session:
            agency = directory.add_agency(session, name="Bench Agency")
            directory.add_user(
                session,
                agency_id=agency.id,
                username="bench.manager",
                name="Bench Manager",
                role="lead_manager",
            )
            agent = directory.add_user(
                session, agency_id=agency.id, username="bench.agent", name="Bench Agent"
            )
            listing, _ = directory.save_listing(
                session, reference="BENCH-0001", agency_id=agency.id, agent=agent.id
            )
            issued = credentials.create(session, username="bench-portal", agency_id=agency.id)
            owner = Owner(
                agency.id, agent.id, listing.id, listing.public_reference, issued.credential.id
            )
            return Seed(owner, issued.credential.username, issued.token)
    finally:
        db.dispose()


def size_bytes(target: Target) -> int:
    """SQLite: the file plus its -wal; PostgreSQL: pg_database_size."""
    if target.kind == "sqlite":
        path = sqlite_path(target.url)
        wal = path.with_name(path.name + "-wal")
        return sum(p.stat().st_size for p in (path, wal) if p.exists())
    import psycopg

    with psycopg.connect(target.url) as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
        return int(row[0]) if row else 0


def row_counts(target: Target) -> dict[str, int]:
    """Leads and contacts now in the database: did the requests really write what they say?"""
    queries = {"leads": "SELECT count(*) FROM leads", "contacts": "SELECT count(*) FROM contacts"}
    if target.kind == "sqlite":
        conn = sqlite3.connect(sqlite_path(target.url), timeout=30)
        try:
            return {k: int(conn.execute(q).fetchone()[0]) for k, q in queries.items()}
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(target.url) as conn:
        return {k: int(conn.execute(q).fetchone()[0]) for k, q in queries.items()}  # type: ignore[index]


def commit_baseline(target: Target, duration: float, connections: int) -> float:
    """Commits per second of a one-row INSERT transaction: the database's own ceiling."""
    if target.kind == "sqlite":
        return _sqlite_commits(target.workdir / "scratch.db", duration)
    return _pgbench_commits(target, duration, connections)


def _sqlite_commits(path: Path, duration: float) -> float:
    """One writer (SQLite allows no more), the service's pragmas, one transaction per row."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {SCRATCH_TABLE} "
            "(id INTEGER PRIMARY KEY, payload TEXT NOT NULL, created_at TEXT NOT NULL)"
        )
        commits = 0
        started = time.perf_counter()
        deadline = started + duration
        while time.perf_counter() < deadline:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                f"INSERT INTO {SCRATCH_TABLE} (payload, created_at) VALUES (?, datetime('now'))",
                (f"row {commits}",),
            )
            conn.execute("COMMIT")
            commits += 1
        return commits / (time.perf_counter() - started)
    finally:
        conn.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def _pgbench_commits(target: Target, duration: float, connections: int) -> float:
    """pgbench on a scratch table of the bench database, dropped afterwards."""
    import psycopg

    pgbench = shutil.which("pgbench")
    if pgbench is None:
        raise RuntimeError("pgbench not found (Debian: apt-get install postgresql-contrib)")
    with psycopg.connect(target.url, autocommit=True) as conn:
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {SCRATCH_TABLE} (id bigserial PRIMARY KEY, "
            "payload text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
        )
    try:
        command = [pgbench, "-n", "-c", str(connections), "-j", "2", "-T", str(int(duration))]
        command += ["-f", str(ONE_ROW_SQL), "-h", "127.0.0.1", "-U", "postgres"]
        result = subprocess.run(
            [*command, POSTGRES_BENCH_DB], capture_output=True, text=True, check=True
        )
        match = re.search(r"tps = ([\d.]+)", result.stdout)
        if match is None:
            raise RuntimeError(f"could not read pgbench output:\n{result.stdout}")
        return float(match.group(1))
    finally:
        with psycopg.connect(target.url, autocommit=True) as conn:
            conn.execute(f"DROP TABLE IF EXISTS {SCRATCH_TABLE}")


def workdir() -> Path:
    """A temporary directory for one run's SQLite files and server logs."""
    return Path(tempfile.mkdtemp(prefix="maxwork-bench-"))
