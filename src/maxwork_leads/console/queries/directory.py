"""What the console reads about listings, agencies and users: searches, one page at a time.

Every list is newest first and paged by keyset on the time-ordered ID. A search that may
match either of two columns runs each arm on its own (a prefix arm on the column's unique
index, a "contains" arm walking newest first), each limited to one page, and shows the
union: one OR over both would give up the index for the whole query.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, func, select, union
from sqlalchemy.orm import InstrumentedAttribute, Session

from maxwork_leads.models import Agency, Lead, Listing, User

PAGE_SIZE = 50
MAX_SEARCH = 200

T = TypeVar("T")


class BadQuery(ValueError):
    """A search or page parameter the page cannot use; its message is shown to the operator."""


@dataclass(frozen=True)
class Window:
    """Which page of a newest-first list to show: before one ID, after one, or the first."""

    before: uuid.UUID | None = None
    after: uuid.UUID | None = None
    size: int = PAGE_SIZE


@dataclass(frozen=True)
class Slice(Generic[T]):
    """One page of rows, with the cursors of the pages either side (None at either end)."""

    rows: list[T]
    older: uuid.UUID | None
    newer: uuid.UUID | None


@dataclass(frozen=True)
class ListingRow:
    id: uuid.UUID
    reference: str
    title: str | None
    agency_id: uuid.UUID
    agency_name: str
    agent_id: uuid.UUID
    agent_username: str
    agent_name: str
    created_at: datetime
    leads: int


@dataclass(frozen=True)
class AgencyRow:
    id: uuid.UUID
    name: str
    created_at: datetime
    users: int
    listings: int


@dataclass(frozen=True)
class UserRow:
    id: uuid.UUID
    username: str
    name: str
    email: str | None
    role: str
    active: bool
    agency_id: uuid.UUID
    agency_name: str
    created_at: datetime


def parse_id(value: str, what: str) -> uuid.UUID | None:
    """An ID from the query string ("" = none); BadQuery names the parameter otherwise."""
    value = value.strip()
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise BadQuery(f"{what} is not a valid ID: {value[:60]!r}") from None


def parse_search(value: str) -> str:
    """The search text, trimmed; too long or with a NUL character it is refused."""
    value = value.strip()
    if len(value) > MAX_SEARCH:
        raise BadQuery(f"the search is longer than {MAX_SEARCH} characters")
    if "\x00" in value:
        raise BadQuery("the search must not contain the NUL character")
    return value


def window(before: str, after: str, size: int = PAGE_SIZE) -> Window:
    """The page asked for by `before=` / `after=` (a bad cursor is a BadQuery)."""
    return Window(parse_id(before, "before"), parse_id(after, "after"), size)


def starts_with(column: InstrumentedAttribute[str], prefix: str) -> list[ColumnElement[bool]]:
    """A prefix match the column's B-tree index can serve: a range, then an exact check.

    LIKE 'x%' uses an index only under the C collation on PostgreSQL and never with
    SQLite's case-insensitive LIKE; a range works on both. The range is exact in
    code-point order (SQLite's BINARY, PostgreSQL's C and C.UTF-8). Under a linguistic
    collation it could miss a value whose punctuation sorts out of place, and the `substr`
    check keeps it from adding one that does not start with the prefix.
    """
    conditions = [column >= prefix, func.substr(column, 1, len(prefix)) == prefix]
    upper = _successor(prefix)
    if upper is not None:
        conditions.append(column < upper)
    return conditions


def _successor(prefix: str) -> str | None:
    """The smallest string above every string that starts with `prefix`."""
    last = ord(prefix[-1]) + 1
    if 0xD800 <= last <= 0xDFFF:
        last = 0xE000  # surrogates cannot be sent to the database
    if last > 0x10FFFF:
        return None
    return prefix[:-1] + chr(last)


def contains(column: InstrumentedAttribute[Any], text: str) -> ColumnElement[bool]:
    """Case-insensitive "contains", with LIKE's wildcards taken literally."""
    return func.lower(column).contains(text.lower(), autoescape=True)


def _ordered(stmt: Select[Any], id_column: Any, page: Window) -> Select[Any]:
    if page.after is not None:
        return stmt.where(id_column > page.after).order_by(id_column.asc()).limit(page.size + 1)
    if page.before is not None:
        stmt = stmt.where(id_column < page.before)
    return stmt.order_by(id_column.desc()).limit(page.size + 1)


def _paged(
    stmt: Select[Any], id_column: Any, arms: Sequence[list[ColumnElement[bool]]], page: Window
) -> Select[Any]:
    """`stmt` limited to one page of the rows that match any arm."""
    if len(arms) == 1:
        return _ordered(stmt.where(*arms[0]), id_column, page)
    limited = [_ordered(select(id_column).where(*arm), id_column, page).subquery() for arm in arms]
    matching = union(*(select(arm.c.id) for arm in limited))
    return _ordered(stmt.where(id_column.in_(matching)), id_column, page)


def _fetch(
    run: Callable[[Window], list[T]], key: Callable[[T], uuid.UUID], page: Window
) -> Slice[T]:
    """One page and its neighbours' cursors; a short "newer" page is the first page."""
    rows = run(page)
    more = len(rows) > page.size
    rows = rows[: page.size]
    if page.after is not None:
        if not more:
            return _fetch(run, key, Window(size=page.size))
        rows.reverse()
        return Slice(rows, key(rows[-1]), key(rows[0]))
    older = key(rows[-1]) if more else None
    newer = key(rows[0]) if page.before is not None and rows else None
    return Slice(rows, older, newer)


def listings(
    session: Session, *, q: str = "", agency_id: uuid.UUID | None = None, page: Window
) -> Slice[ListingRow]:
    """Listings whose reference starts with `q` or whose title contains it."""
    common = [Listing.agency_id == agency_id] if agency_id is not None else []
    arms = [common]
    if q:
        arms = [[*starts_with(Listing.public_reference, q), *common]]
        arms.append([contains(Listing.title, q), *common])
    stmt = (
        select(Listing, Agency.name, User)
        .join(Agency, Agency.id == Listing.agency_id)
        .join(User, User.id == Listing.agent_id)
    )

    def run(window: Window) -> list[Any]:
        return list(session.execute(_paged(stmt, Listing.id, arms, window)).all())

    found = _fetch(run, lambda row: row[0].id, page)
    counts = _lead_counts(session, [listing.id for listing, _, _ in found.rows])
    rows = [
        ListingRow(
            id=listing.id,
            reference=listing.public_reference,
            title=listing.title,
            agency_id=listing.agency_id,
            agency_name=agency_name,
            agent_id=agent.id,
            agent_username=agent.username,
            agent_name=agent.name,
            created_at=listing.created_at,
            leads=counts.get(listing.id, 0),
        )
        for listing, agency_name, agent in found.rows
    ]
    return Slice(rows, found.older, found.newer)


def _lead_counts(session: Session, listing_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not listing_ids:
        return {}
    stmt = (
        select(Lead.listing_id, func.count())
        .where(Lead.listing_id.in_(listing_ids))
        .group_by(Lead.listing_id)
    )
    return {listing_id: count for listing_id, count in session.execute(stmt)}


def agencies(session: Session, *, q: str = "", page: Window) -> Slice[AgencyRow]:
    """Agencies whose name contains `q`, with how many users and listings each has."""
    arms = [[contains(Agency.name, q)]] if q else [[]]

    def run(window: Window) -> list[Agency]:
        return list(session.scalars(_paged(select(Agency), Agency.id, arms, window)))

    found = _fetch(run, lambda agency: agency.id, page)
    ids = [agency.id for agency in found.rows]
    users = _counts_by(session, User.agency_id, ids)
    listings_ = _counts_by(session, Listing.agency_id, ids)
    rows = [
        AgencyRow(
            id=agency.id,
            name=agency.name,
            created_at=agency.created_at,
            users=users.get(agency.id, 0),
            listings=listings_.get(agency.id, 0),
        )
        for agency in found.rows
    ]
    return Slice(rows, found.older, found.newer)


def _counts_by(
    session: Session, column: InstrumentedAttribute[uuid.UUID], ids: list[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """Rows per value of an indexed foreign key, for the values shown only."""
    if not ids:
        return {}
    stmt = select(column, func.count()).where(column.in_(ids)).group_by(column)
    return {value: count for value, count in session.execute(stmt)}


def users(
    session: Session, *, q: str = "", agency_id: uuid.UUID | None = None, page: Window
) -> Slice[UserRow]:
    """Users whose username starts with `q` or whose name contains it."""
    common = [User.agency_id == agency_id] if agency_id is not None else []
    arms = [common]
    if q:
        arms = [[*starts_with(User.username, q), *common], [contains(User.name, q), *common]]
    stmt = select(User, Agency.name).join(Agency, Agency.id == User.agency_id)

    def run(window: Window) -> list[Any]:
        return list(session.execute(_paged(stmt, User.id, arms, window)).all())

    found = _fetch(run, lambda row: row[0].id, page)
    rows = [
        UserRow(
            id=user.id,
            username=user.username,
            name=user.name,
            email=user.email,
            role=user.role,
            active=user.active,
            agency_id=user.agency_id,
            agency_name=agency_name,
            created_at=user.created_at,
        )
        for user, agency_name in found.rows
    ]
    return Slice(rows, found.older, found.newer)


def agency_name(session: Session, agency_id: uuid.UUID) -> str | None:
    """The name of the agency a list is narrowed to, for the page's heading."""
    return session.scalar(select(Agency.name).where(Agency.id == agency_id))
