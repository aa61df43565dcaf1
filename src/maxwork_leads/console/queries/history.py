"""The integration history as operators search it: filters, pages of requests, one request.

Lists never read the stored bodies (up to 64 KiB each) except to search them, and that
search is bounded in time so that it never scans the whole retention period.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, false, select, union_all
from sqlalchemy.orm import Session

from maxwork_leads.leads.normalize import normalize_phone
from maxwork_leads.models import Credential, IntegrationRequest, Lead
from maxwork_leads.models.leads import by_email

PAGE_SIZE = 50
BODY_SEARCH_DAYS = 30
# The integrator choice for requests that did not prove a credential (a wrong token, no
# `user` header, a revoked credential).
NO_CREDENTIAL = "(none)"
MAX_INTEGRATORS = 1000
MAX_INPUT = 200

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$")
_STATUS = re.compile(r"^[1-5]\d\d$")
_STATUS_CLASS = re.compile(r"^[1-5]xx$")

FILTER_NAMES = (
    "integrator",
    "since",
    "until",
    "status",
    "error_code",
    "external_id",
    "email",
    "phone",
)


@dataclass(frozen=True)
class Filters:
    """What narrows the list; None everywhere means every request."""

    integrator: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    status_code: int | None = None
    status_class: int | None = None
    error_code: str | None = None
    external_id: str | None = None
    email: str | None = None
    phone_key: str | None = None
    phone_text: str | None = None
    # Where the body search of failed requests without a lead starts (email/phone only).
    body_since: datetime | None = None

    @property
    def by_person(self) -> bool:
        return self.email is not None or self.phone_key is not None


@dataclass(frozen=True)
class ParsedFilters:
    filters: Filters
    errors: list[str] = field(default_factory=list)


def parse_filters(params: Mapping[str, str], *, region: str, now: datetime) -> ParsedFilters:
    """The filters from the query string, and a message for each value that makes no sense."""
    errors: list[str] = []
    values = {name: params.get(name, "").strip() for name in FILTER_NAMES}
    for name, value in values.items():
        if len(value) > MAX_INPUT:
            errors.append(f"{name}: at most {MAX_INPUT} characters")
            values[name] = ""
    since = _moment(values["since"], "since", errors, end_of_day=False)
    until = _moment(values["until"], "until", errors, end_of_day=True)
    if since and until and since >= until:
        errors.append("since must be before until")
    status_code, status_class = _status(values["status"], errors)
    phone_key = None
    if values["phone"]:
        try:
            phone_key = normalize_phone(values["phone"], region).key
        except ValueError as exc:
            errors.append(f"phone: {exc}")
    email = values["email"].lower() or None
    by_person = email is not None or phone_key is not None
    filters = Filters(
        integrator=values["integrator"] or None,
        since=since,
        until=until,
        status_code=status_code,
        status_class=status_class,
        error_code=values["error_code"] or None,
        external_id=values["external_id"] or None,
        email=email,
        phone_key=phone_key,
        phone_text=values["phone"] or None,
        body_since=(since or now - timedelta(days=BODY_SEARCH_DAYS)) if by_person else None,
    )
    return ParsedFilters(filters, errors)


def _moment(text: str, name: str, errors: list[str], *, end_of_day: bool) -> datetime | None:
    """A UTC moment from a date or a `datetime-local` value; a bare `until` date includes
    the whole day."""
    if not text:
        return None
    try:
        if _DATE.match(text):
            moment = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
            if not 1900 <= moment.year <= 9998:
                raise ValueError
            return moment + timedelta(days=1) if end_of_day else moment
        if _DATETIME.match(text):
            moment = datetime.fromisoformat(text).replace(tzinfo=UTC)
            if not 1900 <= moment.year <= 9998:
                raise ValueError
            return moment
    except ValueError:
        pass
    errors.append(f"{name}: not a date (YYYY-MM-DD) or a time (YYYY-MM-DDTHH:MM) in 1900-9998")
    return None


def _status(text: str, errors: list[str]) -> tuple[int | None, int | None]:
    """An exact status code, or a class such as 4xx (as its first digit)."""
    if not text:
        return None, None
    if _STATUS.match(text):
        return int(text), None
    if _STATUS_CLASS.match(text.lower()):
        return None, int(text[0])
    errors.append("status: a code such as 422, or a class such as 2xx, 4xx or 5xx")
    return None, None


def parse_before(text: str) -> uuid.UUID | None:
    """The keyset cursor; raises ValueError for anything that is not a request ID."""
    return uuid.UUID(text.strip()) if text.strip() else None


@dataclass(frozen=True)
class RequestRow:
    """One line of the list."""

    id: uuid.UUID
    received_at: datetime
    username: str | None
    verified: bool
    endpoint: str
    batch_index: int | None
    status_code: int
    outcome: str | None
    error_code: str | None
    external_id: str | None
    duration_ms: float | None


@dataclass(frozen=True)
class RequestPage:
    rows: list[RequestRow]
    has_older: bool

    @property
    def older_than(self) -> uuid.UUID | None:
        """The cursor of the next (older) page."""
        return self.rows[-1].id if self.has_older and self.rows else None


def integrators(session: Session) -> list[str]:
    """The credential usernames the integrator filter offers."""
    query = select(Credential.username).order_by(Credential.username).limit(MAX_INTEGRATORS)
    return list(session.scalars(query))


def is_integrator(session: Session, username: str) -> bool:
    found = session.scalar(select(Credential.id).where(Credential.username == username))
    return found is not None


def requests_page(
    session: Session,
    filters: Filters,
    *,
    before: uuid.UUID | None = None,
    limit: int = PAGE_SIZE,
) -> RequestPage:
    """Newest first (IDs are time-ordered); `before` continues from the previous page."""
    req = IntegrationRequest
    query = select(
        req.id,
        req.received_at,
        req.username,
        req.credential_id,
        req.endpoint,
        req.batch_index,
        req.status_code,
        req.outcome,
        req.error_code,
        req.external_id,
        req.duration_ms,
    )
    query = _narrow(session, query, filters)
    if before is not None:
        query = query.where(req.id < before)
    found = session.execute(query.order_by(req.id.desc()).limit(limit + 1)).all()
    rows = [
        RequestRow(
            id=row.id,
            received_at=row.received_at.astimezone(UTC),
            username=row.username,
            verified=row.credential_id is not None,
            endpoint=row.endpoint,
            batch_index=row.batch_index,
            status_code=row.status_code,
            outcome=row.outcome,
            error_code=row.error_code,
            external_id=row.external_id,
            duration_ms=row.duration_ms,
        )
        for row in found[:limit]
    ]
    return RequestPage(rows, has_older=len(found) > limit)


def _narrow(session: Session, query: Select[Any], filters: Filters) -> Select[Any]:
    req = IntegrationRequest
    if filters.integrator == NO_CREDENTIAL:
        query = query.where(req.credential_id.is_(None))
    elif filters.integrator is not None:
        # Looked up first, so that the planner sees the credential and picks its index.
        owner = session.scalar(
            select(Credential.id).where(Credential.username == filters.integrator)
        )
        query = query.where(req.credential_id == owner if owner is not None else false())
    if filters.since is not None:
        query = query.where(req.received_at >= filters.since)
    if filters.until is not None:
        query = query.where(req.received_at < filters.until)
    if filters.status_code is not None:
        query = query.where(req.status_code == filters.status_code)
    if filters.status_class is not None:
        low = filters.status_class * 100
        query = query.where(req.status_code >= low, req.status_code < low + 100)
    if filters.error_code is not None:
        query = query.where(req.error_code == filters.error_code)
    if filters.external_id is not None:
        query = query.where(req.external_id == filters.external_id)
    if filters.by_person:
        query = query.where(req.id.in_(_about_person(filters)))
    return query


def _about_person(filters: Filters) -> Select[tuple[uuid.UUID]]:
    """Requests whose lead has this email / phone, and failed requests without a lead whose
    body mentions them (within `body_since`: the body search reads every such row)."""
    req = IntegrationRequest
    by_lead = select(req.id).join(Lead, Lead.id == req.lead_id)
    by_body = select(req.id).where(
        req.lead_id.is_(None), req.status_code >= 400, req.received_at >= filters.body_since
    )
    if filters.until is not None:
        by_body = by_body.where(req.received_at < filters.until)
    if filters.email is not None:
        by_lead = by_lead.where(by_email(Lead.email == filters.email))
        by_body = by_body.where(req.body.icontains(filters.email, autoescape=True))
    if filters.phone_key is not None and filters.phone_text is not None:
        by_lead = by_lead.where(Lead.phone_key == filters.phone_key)
        by_body = by_body.where(req.body.contains(filters.phone_text, autoescape=True))
    return select(union_all(by_lead, by_body).subquery().c.id)


@dataclass(frozen=True)
class RequestDetail:
    """Everything stored about one request (or one batch item)."""

    id: uuid.UUID
    received_at: datetime
    username: str | None
    verified: bool
    user_agent: str | None
    endpoint: str
    batch_index: int | None
    status_code: int
    outcome: str | None
    lead_id: uuid.UUID | None
    error_code: str | None
    error_message: str | None
    external_id: str | None
    idempotency_key: str | None
    body: str | None
    duration_ms: float | None


def request_detail(session: Session, request_id: uuid.UUID) -> RequestDetail | None:
    row = session.get(IntegrationRequest, request_id)
    if row is None:
        return None
    return RequestDetail(
        id=row.id,
        received_at=row.received_at.astimezone(UTC),
        username=row.username,
        verified=row.credential_id is not None,
        user_agent=row.user_agent,
        endpoint=row.endpoint,
        batch_index=row.batch_index,
        status_code=row.status_code,
        outcome=row.outcome,
        lead_id=row.lead_id,
        error_code=row.error_code,
        error_message=row.error_message,
        external_id=row.external_id,
        idempotency_key=row.idempotency_key,
        body=row.body,
        duration_ms=row.duration_ms,
    )
