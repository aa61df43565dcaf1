"""Credentials and routes remembered between requests, for as long as they are still true.

Every write request authenticates its credential and routes its lead through the same few
rows, which change perhaps a few times a day. Reading them again on every request cost
about a third of the request's database work. A process keeps what it read together with
the directory epoch it read it under (see `models.DirectoryEpoch`), and uses it only in a
transaction that reads that same epoch: one small query instead of several joins. A
change committed by any process, or by hand, moves the epoch by trigger, so the next
transaction that starts after it reads everything afresh.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import fields, is_dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.orm import Session

from maxwork_leads.models import Base

T = TypeVar("T")

SESSION_KEY = "directory_cache"
_EPOCH_KEY = "directory_epoch"
_READ_EPOCH = text("SELECT epoch FROM directory_epoch WHERE id = 1")


class DirectoryCache:
    """One process's memory of credentials and routes, each tagged with its epoch.

    Entries are ORM objects taken out of the session that read them (a rollback there
    would otherwise expire them under other threads' feet): snapshots that nothing
    modifies. Threads share the dictionaries; single `dict` reads and writes are atomic,
    and an entry tagged with another epoch than the reader's is simply read again.
    """

    MAX_ENTRIES = 10_000  # then start afresh: a bound, not an eviction policy

    def __init__(self) -> None:
        self._entries: dict[Hashable, tuple[Any, Any]] = {}
        self._touched: dict[Any, datetime] = {}

    def get(self, session: Session, key: Hashable, load: Callable[[], T | None]) -> T | None:
        """The value for `key` as of this transaction's epoch; `load` it when unknown.

        Only found values are kept: a miss (an unknown username, say) is asked again,
        so that nobody can fill the memory with names that do not exist.
        """
        epoch = _epoch(session)
        found = self._entries.get(key)
        if found is not None and found[0] == epoch:
            return found[1]  # type: ignore[no-any-return]
        value = load()
        if value is not None:
            for row in _orm_objects(value):
                if row in session:
                    session.expunge(row)
            if len(self._entries) >= self.MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (epoch, value)
        return value

    def last_read(self, key: Hashable) -> Any:
        """The value last read for `key`, whatever its epoch; None if never read.

        Possibly stale: only for a guess made before a transaction, which `get` then checks.
        """
        found = self._entries.get(key)
        return None if found is None else found[1]

    def recorded_since(self, key: Any, since: datetime) -> bool:
        """Whether this process has recorded a use of `key` (see `recorded`) since then."""
        last = self._touched.get(key)
        return last is not None and last >= since

    def recorded(self, key: Any, when: datetime) -> None:
        """Call once the use is committed: a rolled-back record must be tried again."""
        if len(self._touched) >= self.MAX_ENTRIES:
            self._touched.clear()
        self._touched[key] = when


def _orm_objects(value: Any) -> list[Base]:
    """The ORM objects in a value: itself, or the members of a tuple or dataclass."""
    if isinstance(value, Base):
        return [value]
    if is_dataclass(value):
        members: Any = [getattr(value, item.name) for item in fields(value)]
    elif isinstance(value, tuple):
        members = value
    else:
        return []
    return [member for member in members if isinstance(member, Base)]


def cache_of(session: Session) -> DirectoryCache | None:
    """The process's cache, when the session was opened by `Database.session_scope`."""
    return session.info.get(SESSION_KEY)


def _epoch(session: Session) -> Any:
    """This transaction's epoch, read once: its first cached look-up reads it.

    Everything loaded afterwards is at least as new as that epoch (later statements see
    later commits, never earlier ones), so tagging it with this epoch is safe.
    """
    info = session.info
    if _EPOCH_KEY not in info:
        info[_EPOCH_KEY] = session.connection().execute(_READ_EPOCH).scalar()
    return info[_EPOCH_KEY]
