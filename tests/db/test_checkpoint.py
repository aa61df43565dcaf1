"""A served SQLite database checkpoints its WAL in a thread, not in the commits of requests."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from maxwork_leads.db import Database
from maxwork_leads.db.checkpoint import SAFETY_NET_PAGES
from maxwork_leads.settings import Settings

ROWS = 1_500  # 4 KB each: about 1,500 pages of log, past SQLite's default of 1,000


def write_rows(database: Database) -> None:
    with database.session_scope() as session:
        session.execute(text("CREATE TABLE probe (n INTEGER, filler TEXT)"))
    for start in range(0, ROWS, 100):
        with database.session_scope() as session:
            session.execute(
                text("INSERT INTO probe VALUES (:n, :filler)"),
                [{"n": n, "filler": "x" * 4000} for n in range(start, start + 100)],
            )


def log_frames(path: Path) -> tuple[int, int]:
    """Frames in the WAL, and how many of them are in the database file already."""
    with sqlite3.connect(path) as conn:
        _, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return frames, copied


def test_commits_leave_the_log_to_the_checkpoint_thread(tmp_path: Path) -> None:
    """About 1,500 pages committed: a plain engine's commits checkpointed on the way (the
    log restarted), a served one's did not (every frame still in the log)."""
    plain = Database(Settings(database_url=f"sqlite:///{tmp_path / 'plain.db'}"))
    try:
        write_rows(plain)
        assert 0 < log_frames(tmp_path / "plain.db")[0] < ROWS
    finally:
        plain.dispose()

    path = tmp_path / "served.db"
    database = Database(Settings(database_url=f"sqlite:///{path}"))
    checkpointer = database.checkpoint_in_background(interval=3600)  # not within the test
    assert checkpointer is not None
    try:
        write_rows(database)
        with database.engine.connect() as conn:
            pages = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
        assert pages == SAFETY_NET_PAGES
        assert log_frames(path)[0] >= ROWS
    finally:
        checkpointer.stop()
        database.dispose()


def rows_in_database_file(path: Path) -> int:
    """Rows the database file itself holds, the log left out (`immutable` reads no WAL).

    An immutable reader takes no lock, so while the thread is copying pages it can see a
    half-written file ("malformed"): that reads as not copied yet, like a table still only
    in the log. The final count is taken after the thread has stopped, from a still file.
    """
    with sqlite3.connect(f"file:{path}?immutable=1", uri=True) as conn:
        try:
            return int(conn.execute("SELECT count(*) FROM probe").fetchone()[0])
        except sqlite3.DatabaseError:
            return 0


def test_the_thread_copies_the_log_into_the_database(tmp_path: Path) -> None:
    path = tmp_path / "served.db"
    database = Database(Settings(database_url=f"sqlite:///{path}"))
    checkpointer = database.checkpoint_in_background(interval=0.05)
    assert checkpointer is not None
    try:
        write_rows(database)
        deadline = time.monotonic() + 10
        while rows_in_database_file(path) < ROWS and time.monotonic() < deadline:
            time.sleep(0.05)
        checkpointer.stop()  # still file, and the engine still open: its close would copy the log
        assert rows_in_database_file(path) == ROWS
    finally:
        checkpointer.stop()
        database.dispose()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def write_one_row(database: Database) -> None:
    with database.session_scope() as session:
        session.execute(text("INSERT INTO probe VALUES (-1, 'x')"))


@pytest.mark.parametrize("caught_up", [True, False], ids=["caught up", "left alone"])
def test_the_writer_catching_up_starts_the_log_over(tmp_path: Path, caught_up: bool) -> None:
    """Under steady writes a round never leaves the log fully copied (what is committed
    while it runs stays behind), so the log only grows until a commit checkpoints it.
    Once a round found it past the restart size, the writer's catch-up copies the rest,
    and its next transaction starts the log over."""
    path = tmp_path / "served.db"
    database = Database(Settings(database_url=f"sqlite:///{path}"))
    checkpointer = database.checkpoint_in_background(interval=3600)  # rounds run by hand
    assert checkpointer is not None
    checkpointer.restart_pages = ROWS // 2
    try:
        write_rows(database)
        with sqlite3.connect(path) as reader, sqlite3.connect(path) as thread:
            # A round that runs while more is committed copies only what it began with:
            # a reader's snapshot stands for "what the round began with".
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM probe").fetchone()
            write_rows_after = 50
            with database.session_scope() as session:
                session.execute(
                    text("INSERT INTO probe VALUES (:n, :filler)"),
                    [{"n": -n, "filler": "x" * 4000} for n in range(2, 2 + write_rows_after)],
                )
            checkpointer.round(thread)
            reader.execute("COMMIT")
        assert checkpointer.restart_due()
        if caught_up:
            database.catch_up()
        write_one_row(database)
        frames = log_frames(path)[0]
        if caught_up:
            assert frames < write_rows_after  # only the last transaction's pages
            assert not checkpointer.restart_due()
        else:
            assert frames > ROWS
    finally:
        checkpointer.stop()
        database.dispose()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM probe").fetchone() == (
            ROWS + write_rows_after + 1,
        )


def test_an_app_built_in_a_test_run_keeps_the_default(tmp_path: Path) -> None:
    database = Database(Settings(database_url=f"sqlite:///{tmp_path / 'plain.db'}"))
    try:
        with database.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000
    finally:
        database.dispose()


@pytest.mark.postgres
def test_other_databases_have_no_checkpoint_thread(postgresql_url: str) -> None:
    database = Database(Settings(database_url=postgresql_url))
    try:
        assert database.checkpoint_in_background() is None
    finally:
        database.dispose()
