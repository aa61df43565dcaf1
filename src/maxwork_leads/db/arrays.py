"""Many rows in one PostgreSQL INSERT, sent as one array per column.

SQLAlchemy hands psycopg an executemany INSERT either as one multi-row VALUES statement,
with one placeholder per value (12,000 for a batch of 500 leads), or as one statement per
row. psycopg parses a statement's placeholders again on every call unless its text is
short, and that parse was a fifth of a PostgreSQL batch's time. Here each column travels
as one array and `unnest` spreads the arrays back into rows: the statement text is the
same whatever the number of rows, short enough to be parsed once per process, and the
server plans one statement instead of one per row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY, Insert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert


def insert_from_arrays(
    table: Table, columns: Sequence[str], computed: Mapping[str, ColumnElement[Any]] | None = None
) -> Insert:
    """INSERT INTO table (columns, *computed) SELECT ... FROM unnest(one array per column).

    `computed` names columns whose value is a SQL expression, the same for every row.
    Execute it with `as_arrays(rows, columns)`.
    """
    arrays = [bindparam(key, type_=ARRAY(table.c[key].type)) for key in columns]
    rows = func.unnest(*arrays).table_valued(*columns).render_derived()
    extra = dict(computed or {})
    source = select(*[rows.c[key] for key in columns], *extra.values())
    return postgresql_insert(table).from_select([*columns, *extra], source)


def as_arrays(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> dict[str, list[Any]]:
    """The parameters of an `insert_from_arrays` statement: each column's values, in row order."""
    return {key: [row[key] for row in rows] for key in columns}
