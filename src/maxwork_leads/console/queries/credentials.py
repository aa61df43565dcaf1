"""What the console reads about integrator credentials and their recent traffic."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from maxwork_leads.models import Agency, Credential, IntegrationRequest
from maxwork_leads.models.base import utcnow

# There are few credentials; the cap only keeps a runaway table from making one huge page.
MAX_CREDENTIALS = 200
MAX_AGENCY_CHOICES = 1000
TRAFFIC_DAYS = 30


@dataclass(frozen=True)
class CredentialRow:
    id: uuid.UUID
    username: str
    agency_id: uuid.UUID | None
    agency_name: str | None
    revoked: bool
    rate_limit: float | None
    created_at: datetime
    rotated_at: datetime | None
    last_used_at: datetime | None
    requests: int
    failures: int


@dataclass(frozen=True)
class CredentialList:
    rows: list[CredentialRow]
    truncated: bool


@dataclass(frozen=True)
class AgencyChoice:
    id: uuid.UUID
    name: str


def credentials(session: Session, *, now: datetime | None = None) -> CredentialList:
    """Every credential by username (up to the cap), with its last 30 days of requests."""
    stmt = (
        select(Credential, Agency.name)
        .outerjoin(Agency, Agency.id == Credential.agency_id)
        .order_by(Credential.username)
        .limit(MAX_CREDENTIALS + 1)
    )
    found = session.execute(stmt).all()
    shown = found[:MAX_CREDENTIALS]
    since = (now or utcnow()) - timedelta(days=TRAFFIC_DAYS)
    traffic = _traffic(session, [credential.id for credential, _ in shown], since)
    rows = [
        CredentialRow(
            id=credential.id,
            username=credential.username,
            agency_id=credential.agency_id,
            agency_name=agency_name,
            revoked=credential.revoked_at is not None,
            rate_limit=credential.rate_limit,
            created_at=credential.created_at,
            rotated_at=credential.rotated_at,
            last_used_at=credential.last_used_at,
            requests=traffic.get(credential.id, (0, 0))[0],
            failures=traffic.get(credential.id, (0, 0))[1],
        )
        for credential, agency_name in shown
    ]
    return CredentialList(rows, truncated=len(found) > MAX_CREDENTIALS)


def _traffic(
    session: Session, credential_ids: list[uuid.UUID], since: datetime
) -> dict[uuid.UUID, tuple[int, int]]:
    """(requests, failures) per credential since `since`, in one grouped query.

    Counts the requests each credential proved; an attempt with a wrong token carries no
    credential and shows only in the history under the name it claimed.
    """
    if not credential_ids:
        return {}
    failed = func.sum(case((IntegrationRequest.status_code >= 400, 1), else_=0))
    stmt = (
        select(IntegrationRequest.credential_id, func.count(), failed)
        .where(
            IntegrationRequest.received_at >= since,
            IntegrationRequest.credential_id.in_(credential_ids),
        )
        .group_by(IntegrationRequest.credential_id)
    )
    return {
        credential_id: (int(total), int(failures or 0))
        for credential_id, total, failures in session.execute(stmt)
    }


def agency_choices(session: Session) -> tuple[list[AgencyChoice], bool]:
    """Agencies by name for the scope select, and whether the list was cut short."""
    stmt = select(Agency.id, Agency.name).order_by(Agency.name).limit(MAX_AGENCY_CHOICES + 1)
    found = [AgencyChoice(agency_id, name) for agency_id, name in session.execute(stmt)]
    return found[:MAX_AGENCY_CHOICES], len(found) > MAX_AGENCY_CHOICES
