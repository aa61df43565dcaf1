"""One lead for the console: its routing in words, its qualification, and its timeline.

The timeline merges the lead's activity with every request that named it, paged by time.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from maxwork_leads.console.queries.leads import PAGE_SIZE, ROUTING, BadInput
from maxwork_leads.leads.qualifications import as_profile
from maxwork_leads.leads.schemas import WIRE_NAMES
from maxwork_leads.models import (
    Agency,
    Contact,
    Credential,
    IntegrationRequest,
    Lead,
    LeadActivity,
    Listing,
    Qualification,
    User,
)


@dataclass(frozen=True)
class LeadDetail:
    lead: Lead
    agent: User
    agency: Agency
    listing: Listing | None
    integrator: str | None
    contact: Contact | None
    qualification: list[tuple[str, str]]

    @property
    def routing_label(self) -> str:
        return ROUTING.get(self.lead.routing_reason, self.lead.routing_reason)


def lead_detail(session: Session, lead_id: uuid.UUID) -> LeadDetail | None:
    lead = session.get(Lead, lead_id)
    if lead is None:
        return None
    agent = session.get(User, lead.agent_id)
    agency = session.get(Agency, lead.agency_id)
    assert agent is not None and agency is not None
    qualification = session.scalar(select(Qualification).where(Qualification.lead_id == lead.id))
    return LeadDetail(
        lead=lead,
        agent=agent,
        agency=agency,
        listing=session.get(Listing, lead.listing_id) if lead.listing_id else None,
        integrator=session.scalar(
            select(Credential.username).where(Credential.id == lead.credential_id)
        ),
        contact=session.get(Contact, lead.contact_id) if lead.contact_id else None,
        qualification=qualification_facts(as_profile(qualification) if qualification else {}),
    )


def qualification_facts(values: dict[str, Any]) -> list[tuple[str, str]]:
    """What the person is looking for, as label and text, from a qualification or a profile."""
    facts = []
    for label, low, high, unit in (
        ("Price", "price_min", "price_max", ""),
        ("Rooms", "room_min", "room_max", ""),
        ("Area", "area_min", "area_max", " m²"),
    ):
        text = _range(values.get(low), values.get(high))
        if text:
            facts.append((label, text + unit))
    for label, name in (
        ("Lead type", "lead_type"),
        ("Business type", "business_type"),
        ("Listing class", "listing_class"),
        ("Property type", "property_type"),
    ):
        if values.get(name):
            facts.append((label, str(values[name])))
    if values.get("attributes"):
        facts.append(("Attributes", ", ".join(str(a) for a in values["attributes"])))
    return facts


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int | float) else str(value)


def _range(low: Any, high: Any) -> str:
    if low is not None and high is not None:
        return f"{_number(low)} to {_number(high)}"
    if low is not None:
        return f"from {_number(low)}"
    if high is not None:
        return f"up to {_number(high)}"
    return ""


@dataclass(frozen=True)
class TimelineEntry:
    """A change the lead's activity recorded, or a request an integrator sent about it."""

    source: str  # "activity" or "request"
    id: uuid.UUID
    at: datetime
    integrator: str | None
    user_agent: str | None
    kind: str = ""
    status_before: str | None = None
    status_after: str | None = None
    changes: list[str] = field(default_factory=list)
    message: str | None = None
    endpoint: str = ""
    status_code: int = 0
    outcome: str | None = None
    error_code: str | None = None

    @property
    def position(self) -> str:
        return f"{self.at.isoformat()}~{self.id}"


@dataclass(frozen=True)
class Timeline:
    entries: list[TimelineEntry]
    older: str | None
    newer: str | None


def parse_position(text: str) -> tuple[datetime, uuid.UUID] | None:
    """A timeline position `<time>~<id>`: entries come from two tables, so time orders them."""
    if not text.strip():
        return None
    try:
        at, _, entry_id = text.strip().partition("~")
        return datetime.fromisoformat(at), uuid.UUID(entry_id)
    except ValueError:
        raise BadInput("The timeline position is not valid; showing the latest entries.") from None


def timeline(
    session: Session,
    lead_id: uuid.UUID,
    *,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int = PAGE_SIZE,
) -> Timeline:
    """The lead's activity and its integration requests merged newest first, one page."""
    entries = _entries(session, lead_id, before, newest_first=True, limit=limit + 1)
    older = entries[limit - 1].position if len(entries) > limit else None
    newer = None
    if before is not None:
        ahead = _entries(session, lead_id, before, newest_first=False, limit=limit + 1)
        if ahead:
            newer = ahead[limit].position if len(ahead) > limit else ""
    return Timeline(entries[:limit], older, newer)


def _entries(
    session: Session,
    lead_id: uuid.UUID,
    position: tuple[datetime, uuid.UUID] | None,
    *,
    newest_first: bool,
    limit: int,
) -> list[TimelineEntry]:
    """Up to `limit` entries beyond `position` from each table, merged in time order."""
    activity = _rows(
        session, LeadActivity, LeadActivity.created_at, lead_id, position, newest_first, limit
    )
    requests = _rows(
        session,
        IntegrationRequest,
        IntegrationRequest.received_at,
        lead_id,
        position,
        newest_first,
        limit,
    )
    credential_ids = {row.credential_id for row in activity}
    integrators = {
        credential_id: username
        for credential_id, username in session.execute(
            select(Credential.id, Credential.username).where(Credential.id.in_(credential_ids))
        )
    }
    entries = [_activity(row, integrators.get(row.credential_id)) for row in activity]
    entries += [_request(row) for row in requests]
    entries.sort(key=lambda entry: (entry.at, entry.id), reverse=newest_first)
    return entries[:limit]


def _rows(
    session: Session,
    model: Any,
    at: Any,
    lead_id: uuid.UUID,
    position: tuple[datetime, uuid.UUID] | None,
    newest_first: bool,
    limit: int,
) -> list[Any]:
    query = select(model).where(model.lead_id == lead_id)
    order = (at.desc(), model.id.desc()) if newest_first else (at, model.id)
    if position is not None:
        time, entry_id = position
        if newest_first:
            query = query.where(or_(at < time, and_(at == time, model.id < entry_id)))
        else:
            query = query.where(or_(at > time, and_(at == time, model.id >= entry_id)))
    return list(session.scalars(query.order_by(*order).limit(limit)))


def _activity(row: LeadActivity, integrator: str | None) -> TimelineEntry:
    return TimelineEntry(
        source="activity",
        id=row.id,
        at=row.created_at,
        integrator=integrator,
        user_agent=row.user_agent,
        kind=row.kind,
        status_before=row.status_before,
        status_after=row.status_after,
        changes=describe_changes(row.changes or {}),
        message=row.message,
    )


def _request(row: IntegrationRequest) -> TimelineEntry:
    return TimelineEntry(
        source="request",
        id=row.id,
        at=row.received_at,
        integrator=row.username,
        user_agent=row.user_agent,
        endpoint=row.endpoint,
        status_code=row.status_code,
        outcome=row.outcome,
        error_code=row.error_code,
    )


def describe_changes(changes: dict[str, Any]) -> list[str]:
    """An activity row's changes in words, with the wire names integrators know."""
    lines = []
    for key, value in changes.items():
        if key == "qualification" and isinstance(value, dict):
            lines += [f"{WIRE_NAMES.get(n, n)} set to {_shown(v)}" for n, v in value.items()]
        elif key == "routing":
            lines.append(f"routed to {ROUTING.get(str(value), str(value))}")
        elif isinstance(value, list) and len(value) == 2:
            lines.append(f"{key}: {_shown(value[0])} → {_shown(value[1])}")
        else:
            lines.append(f"{key}: {_shown(value)}")
    return lines


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return _number(value)
