"""Contacts for the console: the search, and one contact with its agent and its leads.

Email and phone narrow through `uq_contacts_identity` (email first) and
`ix_contacts_phone_key`, typed in any spelling: they are normalised the way the lead
service stores them. A contact's leads come through `leads.contact_id`.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from maxwork_leads.console.queries.lead_timeline import qualification_facts
from maxwork_leads.console.queries.leads import (
    PAGE_SIZE,
    Window,
    clean,
    email_key,
    keyset,
    parse_before,
    phone_key,
)
from maxwork_leads.models import Agency, Contact, Lead, User


@dataclass(frozen=True)
class ContactSearch:
    """The search form as typed."""

    name: str = ""
    email: str = ""
    phone: str = ""
    before: str = ""

    def params(self) -> dict[str, str]:
        """The filters, for the links to other pages of the same search."""
        return {key: value for key, value in asdict(self).items() if key != "before"}


@dataclass(frozen=True)
class ContactRow:
    id: uuid.UUID
    created_at: datetime
    name: str
    email: str
    phone: str
    agent_username: str
    agent_name: str
    leads: int = 0


_ROW = select(
    Contact.id,
    Contact.created_at,
    Contact.name,
    Contact.email,
    Contact.phone_key,
    User.username,
    User.name,
).join(User, User.id == Contact.agent_id)


def search_contacts(
    session: Session, search: ContactSearch, *, region: str, limit: int = PAGE_SIZE
) -> Window:
    """One page of matching contacts, newest first; raises BadInput for a field to correct."""
    before = parse_before(search.before)
    conditions: list[ColumnElement[bool]] = []
    if email := clean(search.email, "Email"):
        conditions.append(Contact.email == email_key(email))
    if phone := clean(search.phone, "Phone"):
        conditions.append(Contact.phone_key == phone_key(phone, region))
    if name := clean(search.name, "Name"):
        conditions.append(Contact.name.icontains(name, autoescape=True))
    window = keyset(session, _ROW, Contact.id, conditions, before=before, limit=limit)
    counts = _lead_counts(session, [row.id for row in window.rows])
    rows = [ContactRow(*row, leads=counts.get(row.id, 0)) for row in window.rows]
    return Window(rows, window.older, window.newer)


def _lead_counts(session: Session, contact_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Leads per contact on the page, through `ix_leads_contact_id`."""
    if not contact_ids:
        return {}
    rows = session.execute(
        select(Lead.contact_id, func.count())
        .where(Lead.contact_id.in_(contact_ids))
        .group_by(Lead.contact_id)
    )
    return {contact_id: count for contact_id, count in rows if contact_id is not None}


@dataclass(frozen=True)
class ContactLead:
    id: uuid.UUID
    created_at: datetime
    public_reference: str
    status: str
    stage: str
    message: str


@dataclass(frozen=True)
class ContactDetail:
    contact: Contact
    agent: User
    agency: Agency
    search_profile: list[tuple[str, str]]
    leads: Window = field(default_factory=lambda: Window([], None, None))


def contact_detail(
    session: Session, contact_id: uuid.UUID, *, before: uuid.UUID | None, limit: int = PAGE_SIZE
) -> ContactDetail | None:
    """The contact, its agent, its search profile and one page of its leads, newest first."""
    contact = session.get(Contact, contact_id)
    if contact is None:
        return None
    agent = session.get(User, contact.agent_id)
    assert agent is not None
    agency = session.get(Agency, agent.agency_id)
    assert agency is not None
    leads = keyset(
        session,
        select(
            Lead.id, Lead.created_at, Lead.public_reference, Lead.status, Lead.stage, Lead.message
        ),
        Lead.id,
        [Lead.contact_id == contact.id],
        before=before,
        limit=limit,
    )
    return ContactDetail(
        contact=contact,
        agent=agent,
        agency=agency,
        search_profile=qualification_facts(contact.search_profile or {}),
        leads=Window([ContactLead(*row) for row in leads.rows], leads.older, leads.newer),
    )
