"""Every query about credentials."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import Session

from maxwork_leads.models import Credential

_BY_USERNAME = select(Credential).where(Credential.username == bindparam("username"))


def by_username(session: Session, username: str) -> Credential | None:
    return session.scalar(_BY_USERNAME, {"username": username})


def all_credentials(session: Session) -> list[Credential]:
    return list(session.scalars(select(Credential).order_by(Credential.username)))


def touch(session: Session, credential_id: uuid.UUID, now: datetime, older_than: datetime) -> None:
    """Record use, at most once per interval, and never wait for it.

    Concurrent requests of one integrator would otherwise queue on this row's lock; SKIP
    LOCKED lets all but one go on without touching it (SQLite writes one at a time anyway).
    NO KEY keeps it from blocking the foreign-key checks of inserts that name this row.
    """
    stale = (
        select(Credential.id)
        .where(
            Credential.id == credential_id,
            or_(Credential.last_used_at.is_(None), Credential.last_used_at < older_than),
        )
        .with_for_update(key_share=True, skip_locked=True)
        .scalar_subquery()
    )
    session.execute(
        update(Credential)
        .where(Credential.id == stale)
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
