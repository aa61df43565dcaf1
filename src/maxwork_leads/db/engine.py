"""Engine construction and the one transaction scope used by the API and the CLI."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from maxwork_leads.db.checkpoint import INTERVAL_SECONDS as CHECKPOINT_SECONDS
from maxwork_leads.db.checkpoint import SAFETY_NET_PAGES, Checkpointer
from maxwork_leads.directory.cache import SESSION_KEY, DirectoryCache
from maxwork_leads.settings import Settings, sqlalchemy_url

ON_COMMIT = "on_commit"
READ_ONLY = "maxwork_read_only"  # an execution option: the transaction never writes


def after_commit(session: Session, callback: Callable[[], object]) -> None:
    """Run `callback` once this session's transaction has committed (see `session_scope`)."""
    session.info.setdefault(ON_COMMIT, []).append(callback)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the single writer; NORMAL is durable across process
    # crashes in WAL mode; the busy timeout makes writers queue instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
    # Let SQLAlchemy, not the driver, decide when a transaction begins (see _sqlite_begin).
    dbapi_connection.isolation_level = None


def _sqlite_begin(conn: Any) -> None:
    # Take the write lock up front: a deferred transaction that reads and then writes can
    # fail with SQLITE_BUSY instead of waiting when another process wrote in between.
    # A transaction that only reads (`session_scope(read_only=True)`) takes none: in WAL mode it
    # reads a snapshot beside the writer instead of queueing for its lock.
    read_only = conn.get_execution_options().get(READ_ONLY, False)
    conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def json_text(value: Any) -> str:
    """JSON columns (activity payloads and changes, search profiles) written with orjson:
    a tenth of the standard library's time for a request's payload."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def make_engine(settings: Settings) -> Engine:
    """An engine for the configured database, with the pragmas and pool that suit it."""
    url = sqlalchemy_url(settings.database_url)
    if url.startswith("sqlite"):
        # SQLite runs one writer at a time. One connection per process makes the server's
        # threads queue for it in the pool, instead of polling SQLite's lock with sleeps.
        in_memory = url in ("sqlite://", "sqlite:///:memory:")
        pooling = {} if in_memory else {"pool_size": 1, "max_overflow": 0, "pool_timeout": 30}
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 10},
            json_serializer=json_text,
            json_deserializer=orjson.loads,
            **pooling,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(
        url,
        pool_size=settings.pool_size,
        max_overflow=settings.pool_size,
        # Nothing is prepared on the server, so every statement is planned for its
        # parameters and the tables as they are. A prepared one may run with the one
        # generic plan PostgreSQL keeps until the next ANALYZE: made while `leads` was
        # nearly empty, it once scanned the table whole for every open-lead look-up
        # (4,292 sequential scans of 96 million rows in a 40 s run). That was first
        # cured with plan_cache_mode = force_custom_plan, which also re-planned the
        # query PostgreSQL runs for each foreign key of each row written: a batch's 500
        # leads spent 80 ms in those checks instead of 19, and batches answered 31 %
        # more leads/s without it. Those checks, one row by its key, keep their plans.
        connect_args={"prepare_threshold": None},
        json_serializer=json_text,
        json_deserializer=orjson.loads,
    )
    event.listen(engine, "connect", _no_jit)
    event.listen(engine, "checkin", _mark_idle)
    event.listen(engine, "checkout", _pinger(engine.dialect.do_ping))
    return engine


def _no_jit(dbapi_connection: Any, _record: Any) -> None:
    """Never compile a statement to machine code.

    JIT compilation pays off for long analytical queries, which this service does not
    run; it starts on estimated cost, and a table without statistics makes a batch's
    look-up of 500 emails (3 ms of index probes) look expensive enough to spend 100 ms
    compiling it.
    """
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    dbapi_connection.execute("SELECT set_config('jit', 'off', false)")
    dbapi_connection.autocommit = autocommit


# A connection back from the pool after this long may have been closed by the server (a
# restart, an idle timeout) and is checked first. SQLAlchemy's pool_pre_ping checks every
# time, a round trip on each request; under load connections come back within
# milliseconds, and a busy pool needs no check.
IDLE_BEFORE_PING = 1.0


def _mark_idle(_dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _pinger(ping: Callable[[Any], object]) -> Callable[[Any, Any, Any], None]:
    def ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_BEFORE_PING:
            return
        try:
            ping(dbapi_connection)
        except Exception as exc:
            # The pool then drops this connection and checks out another: SQLAlchemy's
            # contract for a DisconnectionError raised by a checkout listener.
            raise DisconnectionError(f"stale connection: {exc}") from exc

    return ping_if_idle


class Database:
    """An engine and its session factory; `session_scope` is the unit of work."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = make_engine(settings)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self._read_sessions = sessionmaker(
            self.engine.execution_options(**{READ_ONLY: True}),
            expire_on_commit=False,
            autoflush=False,
        )
        self.directory_cache = DirectoryCache()
        self._checkpointer: Checkpointer | None = None

    @contextmanager
    def session_scope(self, *, read_only: bool = False) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises.

        Callbacks registered with `after_commit` run once the commit has succeeded.
        `read_only`: a transaction that writes nothing. On SQLite it then takes no write
        lock: a server process whose writes go to its write process, which writes group
        after group, would otherwise wait for a gap between them, polling with sleeps,
        for every read (up to 2 s under load).
        """
        sessions = self._read_sessions if read_only else self._sessions
        session = sessions(info={SESSION_KEY: self.directory_cache})
        try:
            with session.begin():
                yield session
            for callback in session.info.get(ON_COMMIT, ()):
                callback()
        finally:
            session.close()

    def checkpoint_in_background(self, interval: float = CHECKPOINT_SECONDS) -> Checkpointer | None:
        """SQLite file: move WAL checkpoints out of this process's commits into a thread
        (see `db.checkpoint`); None for any other database. Call it before the first
        request, and `stop` what it returns when the process ends."""
        path = self.engine.url.database
        if self.engine.dialect.name != "sqlite" or not path or path == ":memory:":
            return None
        event.listen(self.engine, "connect", _large_autocheckpoint)
        self.engine.dispose()  # connections opened before keep the default
        checkpointer = Checkpointer(path, interval)
        checkpointer.start()
        self._checkpointer = checkpointer
        return checkpointer

    def catch_up_due(self) -> bool:
        """Whether the background checkpoints ask the writer to `catch_up`."""
        return self._checkpointer is not None and self._checkpointer.restart_due()

    def catch_up(self) -> None:
        """When due, the background checkpointer's `catch_up` on one of this engine's
        connections, so that the next write transaction starts the WAL over.

        For SQLite's single writer, between two of its transactions (see `db.checkpoint`);
        nothing for any other database, or with no checkpoints in the background.
        """
        if self._checkpointer is None or not self._checkpointer.restart_due():
            return
        connection = self.engine.raw_connection()
        try:
            self._checkpointer.catch_up(connection.driver_connection)
        finally:
            connection.close()

    def dispose(self) -> None:
        self.engine.dispose()


def _large_autocheckpoint(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute(f"PRAGMA wal_autocheckpoint={SAFETY_NET_PAGES}")
