"""The integration history: every request to the lead endpoints, as the integrator sent it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from maxwork_leads.errors import ValidationFailed
from maxwork_leads.ids import new_id
from maxwork_leads.integration import repository
from maxwork_leads.integration.schemas import HistoryEntry, HistoryPage
from maxwork_leads.models.base import utcnow


@dataclass(frozen=True)
class Entry:
    """What to record about one request (or one item of a batch)."""

    status_code: int
    outcome: str | None = None
    lead_id: uuid.UUID | None = None
    error_code: str | None = None
    error_message: str | None = None
    external_id: str | None = None
    body: str | None = None
    batch_index: int | None = None


@dataclass(frozen=True)
class Origin:
    """Who sent a request, when, and how."""

    endpoint: str
    username: str | None
    user_agent: str | None
    idempotency_key: str | None
    received_at: datetime
    duration_ms: float | None = None


def record(
    session: Session,
    origin: Origin,
    credential_id: uuid.UUID | None,
    entries: list[Entry],
) -> None:
    """Write the entries, under the credential only when the request proved it.

    Unproven requests keep the username they claimed, for operators, but stay out of that
    integrator's own history: anyone could otherwise write into it.
    """
    record_many(session, [(origin, credential_id, entries)])


def record_many(
    session: Session, requests: list[tuple[Origin, uuid.UUID | None, list[Entry]]]
) -> None:
    """`record` for several requests, with one INSERT."""
    repository.add_requests(
        session,
        [
            dict(
                id=new_id(),
                received_at=origin.received_at,
                credential_id=credential_id,
                username=(origin.username or "")[:100] or None,
                endpoint=origin.endpoint,
                user_agent=origin.user_agent,
                idempotency_key=(origin.idempotency_key or "")[:255] or None,
                duration_ms=origin.duration_ms,
                batch_index=entry.batch_index,
                status_code=entry.status_code,
                outcome=entry.outcome,
                lead_id=entry.lead_id,
                error_code=entry.error_code,
                error_message=entry.error_message,
                external_id=entry.external_id,
                body=entry.body,
            )
            for origin, credential_id, entries in requests
            for entry in entries
        ],
    )


def prune(session: Session, *, retention: timedelta, idempotency_ttl: timedelta) -> dict[str, int]:
    """Delete history older than the retention, and idempotency keys past their time."""
    now = utcnow()
    return {
        "history_deleted": repository.delete_requests_before(session, now - retention),
        "idempotency_keys_deleted": repository.delete_idempotency_keys_before(
            session, now - idempotency_ttl
        ),
    }


def page(
    session: Session,
    *,
    credential_id: uuid.UUID | None,
    username: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    status_code: int | None = None,
    external_id: str | None = None,
    errors_only: bool = False,
    cursor: str | None = None,
    limit: int = 100,
) -> HistoryPage:
    """Entries newest first; the cursor is the last entry's ID."""
    before = None
    if cursor:
        try:
            before = uuid.UUID(cursor)
        except ValueError:
            raise ValidationFailed.on("cursor", "not a cursor this service issued") from None
    rows = repository.requests_page(
        session,
        credential_id=credential_id,
        username=username,
        since=since,
        until=until,
        status_code=status_code,
        external_id=external_id,
        errors_only=errors_only,
        before_id=before,
        limit=limit + 1,
    )
    entries = [HistoryEntry.of(row) for row in rows[:limit]]
    more = len(rows) > limit
    return HistoryPage(
        entries=entries,
        next_cursor=str(entries[-1].id) if more and entries else None,
        has_more=more,
    )
