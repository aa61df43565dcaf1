"""Shared fixtures: the same suite runs on a real SQLite file and on the real PostgreSQL.

PostgreSQL comes from MAXWORK_TEST_POSTGRES_URL, a database the suite may empty (with
pytest-xdist, each worker uses that name with `_gw0`, `_gw1`, ... appended); by default
each run creates its own database on the local server and drops it at the end, so that
parallel runs never see each other's rows. Without a reachable server the PostgreSQL tests
skip, unless MAXWORK_REQUIRE_POSTGRES=1 (as in CI), where they fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from maxwork_leads.app import create_app
from maxwork_leads.db import Database
from maxwork_leads.db.migrate import upgrade
from maxwork_leads.models import Base
from maxwork_leads.settings import Settings
from tests.cli.helpers import SCRIPT, Api, Cli

POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432"
POSTGRES_URL = os.environ.get("MAXWORK_TEST_POSTGRES_URL")
# pytest-xdist names each worker (gw0, gw1, ...); each gets a database of its own.
WORKER = os.environ.get("PYTEST_XDIST_WORKER")
REQUIRE_POSTGRES = os.environ.get("MAXWORK_REQUIRE_POSTGRES") == "1"
REQUIRE_REDIS = os.environ.get("MAXWORK_REQUIRE_REDIS") == "1"
REDIS_URL = os.environ.get("MAXWORK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _prepare_postgres(url: str) -> str | None:
    """Create the test database if needed and empty it; the reason it is unusable, or None."""
    base, _, name = url.rpartition("/")
    try:
        with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=3) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")
    except psycopg.Error as exc:
        return f"PostgreSQL at {url} is not usable: {exc}"
    return None


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    url = POSTGRES_URL or f"{POSTGRES_SERVER}/maxwork_leads_test_{os.getpid()}"
    if POSTGRES_URL and WORKER:
        url = f"{POSTGRES_URL}_{WORKER}"
    reason = _prepare_postgres(url)
    if reason:
        if REQUIRE_POSTGRES:
            pytest.fail(reason + " (MAXWORK_REQUIRE_POSTGRES=1)")
        pytest.skip(reason)
    upgrade(Settings(database_url=url))
    yield url
    if POSTGRES_URL is None:
        _drop_database(url)


def _drop_database(url: str) -> None:
    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A reachable Redis for the shared rate limiter; skips (or fails in CI) without one."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as exc:
        reason = f"Redis at {REDIS_URL} is not usable: {exc}"
        if REQUIRE_REDIS:
            pytest.fail(reason + " (MAXWORK_REQUIRE_REDIS=1)")
        pytest.skip(reason)
    return REDIS_URL


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("sqlite") / "leads.db"
    url = f"sqlite:///{path}"
    upgrade(Settings(database_url=url))
    return url


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def database_url(request: pytest.FixtureRequest) -> str:
    """Each storage test runs once per database."""
    return request.getfixturevalue(f"{request.param}_url")


def empty_tables(database: Database) -> None:
    """DELETE, children first: on tables this small it is about 20 times faster than TRUNCATE,
    which rewrites every table's files on PostgreSQL."""
    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
    with database.engine.begin() as conn:
        for table in tables:
            conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url)


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    """A migrated, empty database; tables are emptied again after the test."""
    database = Database(settings)
    empty_tables(database)
    yield database
    empty_tables(database)
    database.dispose()


@pytest.fixture
def client(db: Database) -> Iterator[TestClient]:
    app = create_app(db.settings)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def cli(database_url: str, db: Database, tmp_path: Path) -> Cli:
    """The console script on the emptied test database (see `db`)."""
    assert SCRIPT.exists(), f"console script not installed at {SCRIPT}"
    return Cli(database_url, tmp_path)


@pytest.fixture
def api(database_url: str, db: Database) -> Iterator[Api]:
    with TestClient(create_app(Settings(database_url=database_url))) as client:
        yield Api(client)
