"""Many complete rows INSERTed through the driver's own executemany.

A Core INSERT executed with a list of rows makes SQLAlchemy build, name and convert every
value of every row in Python, and with RETURNING it renders one multi-row VALUES with a
placeholder per value: for a batch of 500 leads that was about half the cost of writing
them. Here the statement is compiled once per dialect, each row becomes one tuple (or
dict) through the same bind processors SQLAlchemy would use, and the driver runs the
statement once per row in C. Without RETURNING, `RowInsert.execute` answers the number
of rows written, which says whether ON CONFLICT DO NOTHING skipped any.

On PostgreSQL, rows that can take no conflict and need no SQL expression go by COPY
instead: one stream for all of them, formatted by psycopg's C code, and no statement
per row for the server to parse and plan. The stream is binary when every column's type
is one of PostgreSQL's own: a UUID goes as its 16 bytes and a timestamp as a number,
where text made the client format (and the server parse) each of them. For 500 activity
rows that took the client's CPU for the COPY from about 3.5 to 1.8 ms.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from psycopg import postgres
from sqlalchemy import ColumnElement, Connection, Table, Uuid, bindparam
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeEngine

from maxwork_leads.models.base import remember_last

_INSERT_FOR = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}


@dataclass(frozen=True)
class _Compiled:
    sql: str
    positional: bool
    keys: tuple[str, ...]  # the parameters, in the order a positional driver wants them
    copy: str | None  # PostgreSQL's COPY statement, when the rows can go that way
    copy_types: tuple[int, ...] | None  # its columns' type OIDs, when the COPY is binary
    # per parameter, in `keys` order: what reads it from a row, and what converts it
    getters: tuple[tuple[Callable[[Any], Any], Callable[[Any], Any] | None], ...]


@dataclass
class RowInsert:
    """INSERT INTO table (columns, *computed) VALUES (...) [ON CONFLICT DO NOTHING].

    `computed` names columns whose value is the same SQL expression for every row; `types`
    overrides a column's type for binding (say, JSON that stores None as SQL NULL).
    """

    table: Table
    columns: Sequence[str]
    computed: Mapping[str, ColumnElement[Any]] = field(default_factory=dict)
    types: Mapping[str, TypeEngine[Any]] = field(default_factory=dict)
    skip_conflicts: bool = False
    _compiled: dict[str, _Compiled] = field(default_factory=dict, init=False, repr=False)

    def execute(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> int:
        """Insert every row (each a mapping with every column); the number written."""
        if not rows:
            return 0
        compiled = self._for(connection.dialect)
        # Column by column: map() and zip() run in C, so a value costs a Python call only
        # when its type converts it (a generator per row cost a step per value).
        columns = [
            list(map(getter, rows)) if process is None else list(map(process, map(getter, rows)))
            for getter, process in compiled.getters
        ]
        converted: list[Any] = list(zip(*columns, strict=True))
        if not (compiled.positional or compiled.copy is not None):
            # a driver with named parameters (psycopg outside COPY)
            converted = [dict(zip(compiled.keys, values, strict=True)) for values in converted]
        if compiled.copy is not None:
            return _copy(connection, compiled.copy, compiled.copy_types, converted)
        result = connection.exec_driver_sql(compiled.sql, converted)
        return int(result.rowcount)

    def _for(self, dialect: Dialect) -> _Compiled:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = self._compile(dialect)
        return compiled

    def _compile(self, dialect: Dialect) -> _Compiled:
        types = {key: self.types.get(key, self.table.c[key].type) for key in self.columns}
        values: dict[str, Any] = {key: bindparam(key, type_=types[key]) for key in self.columns}
        values.update(self.computed)
        statement = _INSERT_FOR[dialect.name](self.table).values(values)
        if self.skip_conflicts:
            statement = statement.on_conflict_do_nothing()
        compiled = statement.compile(dialect=dialect)
        keys = tuple(compiled.positiontup or ()) if compiled.positional else tuple(self.columns)
        if sorted(keys) != sorted(self.columns):
            raise ValueError(f"computed columns of {self.table.name} must not take parameters")
        copy, copy_types = None, None
        if dialect.name == "postgresql" and not self.computed and not self.skip_conflicts:
            preparer = dialect.identifier_preparer
            names = ", ".join(preparer.quote(self.table.c[key].name) for key in keys)
            copy = f"COPY {preparer.format_table(self.table)} ({names}) FROM STDIN"
            oids = [_builtin_oid(types[key], dialect) for key in keys]
            if None not in oids:
                copy += " (FORMAT BINARY)"
                copy_types = tuple(oid for oid in oids if oid is not None)
        getters = tuple((itemgetter(key), bind_processor(types[key], dialect)) for key in keys)
        return _Compiled(compiled.string, compiled.positional, keys, copy, copy_types, getters)


def bind_processor(type_: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    """What SQLAlchemy does to a value of this type before the driver gets it (None:
    nothing), for statements executed without SQLAlchemy's per-value work.

    A UUID's conversion remembers its last value: many rows written together name one
    agency, agent, listing or credential, and each conversion to text (SQLite) cost
    about half a microsecond, a dozen times per lead of a batch.
    """
    process = type_.dialect_impl(dialect).bind_processor(dialect)
    return remember_last(process) if isinstance(type_, Uuid) else process


def _builtin_oid(type_: TypeEngine[Any], dialect: Dialect) -> int | None:
    """The OID of PostgreSQL's own type for a column of this type (None for any other
    type), which a binary COPY must name: `VARCHAR(500)` is `varchar`, `JSON` is `json`."""
    name = re.sub(r"\(.*\)", "", type_.compile(dialect=dialect)).strip().lower()
    info = postgres.types.get(name)
    return None if info is None else info.oid


def _copy(
    connection: Connection, statement: str, types: Sequence[int] | None, rows: list[Any]
) -> int:
    """COPY the rows on the connection's psycopg cursor (binary when `types` names each
    column's type); its errors raised as SQLAlchemy's own (IntegrityError and the like),
    as for any other statement."""
    dialect = connection.dialect
    dbapi_error = dialect.loaded_dbapi.Error
    cursor = connection.connection.cursor()
    try:
        with cursor.copy(statement) as copy:
            if types is not None:
                copy.set_types(types)
            for values in rows:
                copy.write_row(values)
        return int(cursor.rowcount)
    except dbapi_error as exc:
        gone = dialect.is_disconnect(exc, connection.connection.dbapi_connection, cursor)
        if gone:
            connection.invalidate(exc)
        raise DBAPIError.instance(
            statement, None, exc, dbapi_error, connection_invalidated=gone, dialect=dialect
        ) from exc
    finally:
        cursor.close()
