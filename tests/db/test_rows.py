"""Rows written with the driver's bulk path read back as the ORM would have written them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import (
    JSON,
    Column,
    Enum,
    MetaData,
    String,
    Table,
    Uuid,
    literal_column,
    select,
)
from sqlalchemy.exc import IntegrityError

from maxwork_leads.db import Database
from maxwork_leads.db.rows import RowInsert
from maxwork_leads.ids import new_id
from maxwork_leads.models.base import UtcDateTime

metadata = MetaData()
probe = Table(
    "row_insert_probe",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(20), nullable=False, unique=True),
    Column("at", UtcDateTime),
    Column("doc", JSON),
    Column("kind", String(20)),
)
COLUMNS = ["id", "name", "at", "doc"]


@pytest.fixture
def table(db: Database) -> Iterator[Table]:
    metadata.create_all(db.engine)
    yield probe
    metadata.drop_all(db.engine)


def row(name: str, **values: object) -> dict[str, object]:
    return {"id": new_id(), "name": name, "at": None, "doc": None, **values}


@pytest.mark.parametrize("kind", [None, "probe"], ids=["bulk path", "with an expression"])
def test_values_come_back_as_written(db: Database, table: Table, kind: str | None) -> None:
    """IDs, times moved to UTC, JSON documents, and None as SQL NULL (not JSON `null`,
    when the column's type says so). A SQL expression for a column keeps PostgreSQL's
    rows off COPY, so both of its paths are checked."""
    at = datetime(2026, 11, 27, 9, 30, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    sent = [
        row("full", at=at, doc={"rooms": [2, 3], "note": "ção"}),
        row("empty"),
    ]
    computed = {"kind": literal_column(f"'{kind}'")} if kind else {}
    insert = RowInsert(table, COLUMNS, computed, types={"doc": JSON(none_as_null=True)})
    with db.session_scope() as session:
        assert insert.execute(session.connection(), sent) == 2
    with db.engine.connect() as conn:
        found = {r.name: r for r in conn.execute(select(table))}
        null_docs = conn.execute(select(table.c.name).where(table.c.doc.is_(None))).scalars()
        assert list(null_docs) == ["empty"]
    assert found["full"].id == sent[0]["id"] and isinstance(found["full"].id, uuid.UUID)
    assert found["full"].at == at.astimezone(UTC)
    assert found["full"].doc == {"rooms": [2, 3], "note": "ção"}
    assert (found["empty"].at, found["empty"].doc) == (None, None)
    assert {r.kind for r in found.values()} == {kind}


def test_rows_a_unique_index_refuses_are_skipped_and_not_counted(
    db: Database, table: Table
) -> None:
    insert = RowInsert(table, COLUMNS, skip_conflicts=True)
    with db.session_scope() as session:
        assert insert.execute(session.connection(), [row("a"), row("b")]) == 2
        assert insert.execute(session.connection(), [row("a"), row("c")]) == 1
    with db.engine.connect() as conn:
        assert sorted(conn.execute(select(table.c.name)).scalars()) == ["a", "b", "c"]


def test_a_refused_row_raises_the_usual_integrity_error(db: Database, table: Table) -> None:
    """On PostgreSQL these rows go by COPY, outside SQLAlchemy's statement execution; its
    error still arrives as SQLAlchemy's, which is what callers catch."""
    insert = RowInsert(table, COLUMNS)
    with pytest.raises(IntegrityError), db.session_scope() as session:
        insert.execute(session.connection(), [row("same"), row("same")])
    with db.engine.connect() as conn:
        assert list(conn.execute(select(table.c.name)).scalars()) == []


def test_nothing_to_write_is_no_statement(db: Database, table: Table) -> None:
    with db.session_scope() as session:
        assert RowInsert(table, COLUMNS).execute(session.connection(), []) == 0


def test_a_column_of_a_type_the_database_does_not_ship_is_written_too(db: Database) -> None:
    """PostgreSQL's COPY goes binary only when it can name each column's type; a type
    made by the schema (here an enum) sends the rows as text instead."""
    local = MetaData()
    kinds = Table(
        "row_insert_kinds",
        local,
        Column("id", Uuid, primary_key=True),
        Column("kind", Enum("new", "old", name="row_insert_kind")),
        Column("at", UtcDateTime),
    )
    local.create_all(db.engine)
    try:
        at = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)
        sent = [
            {"id": new_id(), "kind": "old", "at": at},
            {"id": new_id(), "kind": None, "at": None},
        ]
        with db.session_scope() as session:
            assert RowInsert(kinds, ["id", "kind", "at"]).execute(session.connection(), sent) == 2
        with db.engine.connect() as conn:
            found = {r.id: (r.kind, r.at) for r in conn.execute(select(kinds))}
        assert found == {sent[0]["id"]: ("old", at), sent[1]["id"]: (None, None)}
    finally:
        local.drop_all(db.engine)
