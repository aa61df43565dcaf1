"""Leads for the console: the search, one lead with its routing, and its activity timeline.

Every search narrows through an index first (email, phone key, listing, agent) and pages by
the time-ordered lead ID, so no request reads more than a page of leads plus one.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from maxwork_leads.leads.enums import LeadStatus
from maxwork_leads.leads.normalize import normalize_email, normalize_phone
from maxwork_leads.leads.qualifications import as_profile
from maxwork_leads.leads.routing import INTERNAL_USER, LEAD_MANAGER, LISTING_AGENT
from maxwork_leads.leads.schemas import MANUAL_REFERENCE, WIRE_NAMES
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

PAGE_SIZE = 50
MAX_TEXT = 300
# An agent search naming more users than this asks the operator to be more precise.
MAX_AGENTS = 50

# Short words for `leads.routing_reason`; the lead page explains each rule in full.
ROUTING = {
    INTERNAL_USER: "named by the integrator (Internal_UserId)",
    LISTING_AGENT: "the listing's agent",
    LEAD_MANAGER: "the agency's lead manager",
}


class BadInput(ValueError):
    """A search field the operator has to correct; the message is shown in the page."""


@dataclass(frozen=True)
class Window:
    """One page of rows with the `before` values of the pages around it.

    `newer` is "" for the first page and None when this already is the first page.
    """

    rows: list[Any]
    older: str | None
    newer: str | None


def parse_before(text: str) -> uuid.UUID | None:
    if not text.strip():
        return None
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        raise BadInput(
            "The page position (before) is not an ID; start again from the first page."
        ) from None


def keyset(
    session: Session,
    rows_query: Select[Any],
    id_column: Any,
    conditions: list[ColumnElement[bool]],
    *,
    before: uuid.UUID | None,
    limit: int,
) -> Window:
    """Newest first below `before`, plus one row to know whether an older page exists."""
    query = rows_query.where(*conditions)
    if before is not None:
        query = query.where(id_column < before)
    rows = list(session.execute(query.order_by(id_column.desc()).limit(limit + 1)))
    older = str(rows[limit - 1].id) if len(rows) > limit else None
    newer = None
    if before is not None:
        ahead = list(
            session.scalars(
                select(id_column)
                .where(*conditions, id_column >= before)
                .order_by(id_column)
                .limit(limit + 1)
            )
        )
        if ahead:
            newer = str(ahead[limit]) if len(ahead) > limit else ""
    return Window(rows[:limit], older, newer)


def clean(text: str, what: str) -> str:
    value = text.strip()
    if len(value) > MAX_TEXT:
        raise BadInput(f"{what} is longer than {MAX_TEXT} characters.")
    if "\x00" in value:
        raise BadInput(f"{what} contains a NUL character.")
    return value


def email_key(text: str) -> str:
    """The email as leads and contacts store it, so any letter case finds them."""
    try:
        return normalize_email(text)
    except ValueError as exc:
        raise BadInput(f"Email {text!r} is not an email address: {exc}") from None


def phone_key(text: str, region: str) -> str:
    """The phone key the lead service stores, so any spelling of the number finds it."""
    try:
        return normalize_phone(text, region).key
    except ValueError as exc:
        raise BadInput(f"Phone {text!r} is not a phone number: {exc}.") from None


@dataclass(frozen=True)
class LeadSearch:
    """The search form as typed."""

    name: str = ""
    email: str = ""
    phone: str = ""
    listing: str = ""
    agent: str = ""
    status: str = ""
    before: str = ""

    def params(self) -> dict[str, str]:
        """The filters, for the links to other pages of the same search."""
        return {key: value for key, value in asdict(self).items() if key != "before"}


@dataclass(frozen=True)
class LeadRow:
    id: uuid.UUID
    created_at: datetime
    sender_name: str
    email: str
    phone: str
    public_reference: str
    agent_username: str
    agent_name: str
    status: str
    stage: str
    integrator: str


@dataclass
class LeadResults:
    window: Window
    notes: list[str] = field(default_factory=list)


_ROW = (
    select(
        Lead.id,
        Lead.created_at,
        Lead.sender_name,
        Lead.email,
        Lead.phone_key,
        Lead.public_reference,
        User.username,
        User.name,
        Lead.status,
        Lead.stage,
        Credential.username,
    )
    .join(User, User.id == Lead.agent_id)
    .join(Credential, Credential.id == Lead.credential_id)
)


def search_leads(
    session: Session, search: LeadSearch, *, region: str, limit: int = PAGE_SIZE
) -> LeadResults:
    """One page of matching leads, newest first; raises BadInput for a field to correct."""
    before = parse_before(search.before)
    conditions, notes = lead_conditions(session, search, region=region)
    if conditions is None:
        return LeadResults(Window([], None, None), notes)
    window = keyset(session, _ROW, Lead.id, conditions, before=before, limit=limit)
    rows = [LeadRow(*row) for row in window.rows]
    return LeadResults(Window(rows, window.older, window.newer), notes)


def lead_conditions(
    session: Session, search: LeadSearch, *, region: str
) -> tuple[list[ColumnElement[bool]] | None, list[str]]:
    """The WHERE clauses; None, with a note why, when a listing or agent named matches nothing."""
    conditions: list[ColumnElement[bool]] = []
    notes: list[str] = []
    if email := clean(search.email, "Email"):
        conditions.append(Lead.email == email_key(email))
    if phone := clean(search.phone, "Phone"):
        conditions.append(Lead.phone_key == phone_key(phone, region))
    if status := clean(search.status, "Status"):
        conditions.extend(_status(status))
    if name := clean(search.name, "Name"):
        conditions.append(Lead.sender_name.icontains(name, autoescape=True))
    if reference := clean(search.listing, "Listing reference"):
        if reference.casefold() == MANUAL_REFERENCE.casefold():
            conditions.append(Lead.listing_id.is_(None))
        else:
            listing_id = session.scalar(
                select(Listing.id).where(Listing.public_reference == reference)
            )
            if listing_id is None:
                notes.append(f"No listing has the reference {reference!r} (letter case counts).")
                return None, notes
            conditions.append(Lead.listing_id == listing_id)
    if agent := clean(search.agent, "Agent"):
        users = matching_users(session, agent)
        if not users:
            notes.append(f"No user has the username or a name containing {agent!r}.")
            return None, notes
        if len(users) > 1:
            names = ", ".join(user.username for user in users)
            notes.append(f"Agent {agent!r} matches {len(users)} users: {names}.")
        conditions.append(Lead.agent_id.in_([user.id for user in users]))
    return conditions, notes


def _status(text: str) -> list[ColumnElement[bool]]:
    if text.casefold() == "any":
        return []
    for status in LeadStatus:
        if status.value.casefold() == text.casefold():
            return [Lead.status == status.value]
    raise BadInput(f"Status {text!r} is not one of New, Contacted, Archived.")


@dataclass(frozen=True)
class UserMatch:
    id: uuid.UUID
    username: str
    name: str


def matching_users(session: Session, text: str) -> list[UserMatch]:
    """The user with this username (any case), else those whose username or name contains it.

    An exact username wins so that `anna` never also means `anna.lopes`.
    """
    columns = select(User.id, User.username, User.name)
    exact = session.execute(columns.where(User.username == text)).all()
    if not exact:
        exact = session.execute(
            columns.where(func.lower(User.username) == text.lower()).limit(MAX_AGENTS)
        ).all()
    if exact:
        return [UserMatch(*row) for row in exact]
    found = session.execute(
        columns.where(
            or_(
                User.username.icontains(text, autoescape=True),
                User.name.icontains(text, autoescape=True),
            )
        )
        .order_by(User.username)
        .limit(MAX_AGENTS + 1)
    ).all()
    if len(found) > MAX_AGENTS:
        raise BadInput(
            f"Agent {text!r} matches more than {MAX_AGENTS} users; type the username or more "
            "of the name."
        )
    return [UserMatch(*row) for row in found]


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
