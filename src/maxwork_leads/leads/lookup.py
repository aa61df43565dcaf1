"""Reading leads back: by our ID, by the integrator's ID, and as a change feed."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session

from maxwork_leads.errors import NotFound, ValidationFailed
from maxwork_leads.leads import repository
from maxwork_leads.leads.schemas import AgentOut
from maxwork_leads.leads.views import ContactOut, LeadPage, LeadView, QualificationOut
from maxwork_leads.models import Contact, Lead, Qualification, User

MAX_PAGE = 1000


def lead_by_id(session: Session, credential_id: uuid.UUID, lead_id: str) -> LeadView:
    """The lead, if this credential may see it; otherwise NotFound, whether it exists or not."""
    try:
        parsed = uuid.UUID(lead_id)
    except ValueError:
        raise NotFound("no such lead") from None
    lead = repository.visible_lead(session, credential_id, parsed)
    if lead is None:
        raise NotFound("no such lead")
    return views(session, [lead])[0]


def lead_by_external_id(session: Session, credential_id: uuid.UUID, external_id: str) -> LeadView:
    lead = repository.lead_by_external_id_for(session, credential_id, external_id)
    if lead is None:
        raise NotFound(f"no lead with External_LeadId {external_id!r}")
    return views(session, [lead])[0]


def encode_cursor(seq: int, lead_id: uuid.UUID | None, since: datetime | None) -> str:
    raw = orjson.dumps({"s": seq, "i": str(lead_id) if lead_id else None, "u": since})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[tuple[int, uuid.UUID] | None, datetime | None]:
    try:
        raw: dict[str, Any] = orjson.loads(
            base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        )
        since = datetime.fromisoformat(raw["u"]) if raw.get("u") else None
        after = (int(raw["s"]), uuid.UUID(raw["i"])) if raw.get("i") else None
    except (ValueError, TypeError, KeyError, AttributeError):
        raise ValidationFailed.on("cursor", "not a cursor this service issued") from None
    return after, since


def changes(
    session: Session,
    credential_id: uuid.UUID,
    *,
    updated_since: datetime | None,
    cursor: str | None,
    limit: int,
) -> LeadPage:
    """One page of the credential's leads in commit order, with the cursor to go on."""
    after = None
    if cursor:
        after, updated_since = decode_cursor(cursor)
    rows = repository.changed_leads(
        session, credential_id, after=after, updated_since=updated_since, limit=limit + 1
    )
    page = rows[:limit]
    if page:
        last: tuple[int, uuid.UUID | None] = (page[-1].change_seq, page[-1].id)
    elif after is not None:
        last = after
    else:
        last = (-1, None)
    return LeadPage(
        leads=views(session, page),
        next_cursor=encode_cursor(last[0], last[1], updated_since),
        has_more=len(rows) > limit,
    )


def views(session: Session, leads: list[Lead]) -> list[LeadView]:
    """Wire views for leads, loading their agents, contacts and qualifications in three queries."""
    if not leads:
        return []
    agents = repository.users_by_id(session, [lead.agent_id for lead in leads])
    contacts = repository.contacts_by_id(
        session, [lead.contact_id for lead in leads if lead.contact_id]
    )
    qualifications = repository.qualifications_by_lead(session, [lead.id for lead in leads])
    return [
        _view(
            lead,
            agents[lead.agent_id],
            contacts.get(lead.contact_id) if lead.contact_id else None,
            qualifications.get(lead.id),
        )
        for lead in leads
    ]


def _view(
    lead: Lead, agent: User, contact: Contact | None, qualification: Qualification | None
) -> LeadView:
    return LeadView(
        lead_id=lead.id,
        external_id=lead.external_id,
        lead_status=lead.status,
        stage=lead.stage,
        contact_id=lead.contact_id,
        qualification_id=qualification.id if qualification else None,
        agent=AgentOut(id=agent.id, username=agent.username),
        public_reference=lead.public_reference,
        sender_name=lead.sender_name,
        sender_email=lead.email,
        sender_phone=lead.phone_raw,
        message=lead.message,
        created_at=lead.enquired_at,
        updated_at=lead.updated_at,
        contact=_contact(contact) if contact else None,
        qualification=_qualification(qualification) if qualification else None,
    )


def _contact(contact: Contact) -> ContactOut:
    return ContactOut(
        id=contact.id,
        name=contact.name,
        email=contact.email,
        phone=contact.phone_key,
        created_at=contact.created_at,
    )


def _qualification(q: Qualification) -> QualificationOut:
    return QualificationOut(
        id=q.id,
        price_min=q.price_min,
        price_max=q.price_max,
        room_min=q.room_min,
        room_max=q.room_max,
        area_min=q.area_min,
        area_max=q.area_max,
        lead_type=q.lead_type,
        business_type=q.business_type,
        listing_class=q.listing_class,
        property_type=q.property_type,
        attributes=q.attributes,
    )
