"""Every query about request history and idempotency keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from maxwork_leads.db.rows import RowInsert
from maxwork_leads.models import IdempotencyKey, IntegrationRequest

_REQUEST_ROWS = RowInsert(
    IntegrationRequest.__table__, [c.key for c in IntegrationRequest.__table__.columns]
)


def add_requests(session: Session, rows: list[dict[str, Any]]) -> None:
    """Complete history rows (every column), written in bulk (see `db.rows`: COPY on
    PostgreSQL): they are never read back in the request that writes them."""
    _REQUEST_ROWS.execute(session.connection(), rows)


def requests_page(
    session: Session,
    *,
    credential_id: uuid.UUID | None,
    username: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    status_code: int | None = None,
    external_id: str | None = None,
    errors_only: bool = False,
    before_id: uuid.UUID | None = None,
    limit: int = 100,
) -> list[IntegrationRequest]:
    """Newest first; `before_id` continues a page (IDs are time-ordered)."""
    query = select(IntegrationRequest)
    if credential_id is not None:
        query = query.where(IntegrationRequest.credential_id == credential_id)
    if username is not None:
        query = query.where(IntegrationRequest.username == username)
    if since is not None:
        query = query.where(IntegrationRequest.received_at >= since)
    if until is not None:
        query = query.where(IntegrationRequest.received_at < until)
    if status_code is not None:
        query = query.where(IntegrationRequest.status_code == status_code)
    if external_id is not None:
        query = query.where(IntegrationRequest.external_id == external_id)
    if errors_only:
        query = query.where(IntegrationRequest.status_code >= 400)
    if before_id is not None:
        query = query.where(IntegrationRequest.id < before_id)
    return list(session.scalars(query.order_by(IntegrationRequest.id.desc()).limit(limit)))


def delete_requests_before(session: Session, cutoff: datetime) -> int:
    result = session.execute(
        delete(IntegrationRequest)
        .where(IntegrationRequest.received_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def delete_idempotency_keys_before(session: Session, cutoff: datetime) -> int:
    result = session.execute(
        delete(IdempotencyKey)
        .where(IdempotencyKey.created_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def idempotency_key(session: Session, credential_id: uuid.UUID, key: str) -> IdempotencyKey | None:
    return session.scalar(
        select(IdempotencyKey)
        .where(IdempotencyKey.credential_id == credential_id, IdempotencyKey.key == key)
        .with_for_update()
    )
