"""The declarative base shared by every table, with a naming convention for constraints."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import DateTime, MetaData, TypeDecorator, Uuid
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from maxwork_leads.ids import new_id

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def remember_last(
    process: Callable[[Any], Any] | None,
) -> Callable[[Any], Any] | None:
    """A bind processor of immutable values (timestamps, UUIDs) that remembers its last
    value and result, for columns whose rows repeat one value (the agent of every lead of
    a batch). The two are kept as one tuple, so that threads sharing a statement never
    pair one's value with another's result; an immutable object converts the same."""
    if process is None:
        return None
    convert = process
    last: list[tuple[Any, Any]] = [(None, None)]

    def remembered(value: Any) -> Any:
        kept, result = last[0]
        if value is kept and value is not None:
            return result
        result = convert(value)
        last[0] = (value, result)
        return result

    return remembered


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp on every backend (SQLite stores naive text; we add UTC back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        """The usual conversion, remembering its last value (`remember_last`): the rows
        of one write share their timestamps (a lead's creation, its first enquiry and its
        last change; a batch's arrival), and converting one cost about 2 us on SQLite,
        where it ends as text."""
        return remember_last(super().bind_processor(dialect))

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime, uuid.UUID: Uuid}


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
