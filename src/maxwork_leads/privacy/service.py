"""Export every datum held about a person, or erase it everywhere, keeping the counts.

A person is found by email or by phone, normalised as the leads were; from the leads found,
their other spellings (raw phone, e-mail) are searched in the integration history too.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from maxwork_leads.errors import InvalidInput
from maxwork_leads.leads.normalize import normalize_email, normalize_phone
from maxwork_leads.models import Contact, Erasure, IntegrationRequest, Lead, LeadActivity
from maxwork_leads.privacy import repository

ERASED = "[erased]"


@dataclass(frozen=True)
class Selector:
    kind: str
    value: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(f"{self.kind}:{self.value}".encode()).hexdigest()


def selector(*, email: str | None, phone: str | None, region: str) -> Selector:
    """Exactly one of email or phone, normalised like the leads that hold it."""
    if (email is None) == (phone is None):
        raise InvalidInput("give exactly one of --email or --phone")
    try:
        if email is not None:
            return Selector("email", normalize_email(email))
        return Selector("phone", normalize_phone(phone or "", region).key)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None


@dataclass
class Found:
    leads: list[Lead]
    contacts: list[Contact]
    activity: list[LeadActivity]
    requests: list[IntegrationRequest]
    qualifications: list[Any]


def find(session: Session, who: Selector) -> Found:
    emails = [who.value] if who.kind == "email" else []
    phones = [who.value] if who.kind == "phone" else []
    leads = repository.leads_of(session, emails=emails, phone_keys=phones)
    contacts = repository.contacts_of(session, emails=emails, phone_keys=phones)
    lead_ids = [lead.id for lead in leads]
    needles = {who.value}
    for lead in leads:
        needles |= {lead.email, lead.phone_raw}
        needles |= {lead.phone_e164} if lead.phone_e164 else set()
    return Found(
        leads=leads,
        contacts=contacts,
        activity=repository.activity_of(session, lead_ids),
        requests=repository.requests_of(session, lead_ids, sorted(needles)),
        qualifications=repository.qualifications_of(session, lead_ids),
    )


def export(session: Session, who: Selector) -> dict[str, Any]:
    """Everything stored about the person, as plain JSON-ready data."""
    found = find(session, who)
    return {
        "selector": {"kind": who.kind, "value": who.value},
        "leads": [_row(lead) for lead in found.leads],
        "contacts": [_row(contact) for contact in found.contacts],
        "qualifications": [_row(q) for q in found.qualifications],
        "activity": [_row(a) for a in found.activity],
        "history": [_row(r) for r in found.requests],
    }


def _row(row: Any) -> dict[str, Any]:
    return {column.key: _plain(getattr(row, column.key)) for column in row.__table__.columns}


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def erase(session: Session, who: Selector, *, operator: str | None) -> dict[str, int]:
    """Overwrite the person's data everywhere it is stored; rows and counts stay.

    Keys that must stay unique (lead and contact phone/email) become per-row placeholders,
    so that the indexes still hold and no two erased people collide.
    """
    found = find(session, who)
    for lead in found.leads:
        tag = lead.id.hex
        lead.sender_name = lead.message = lead.phone_raw = ERASED
        lead.email, lead.phone_key = f"erased-{tag}@erased.invalid", f"erased:{tag}"[:32]
        lead.phone_e164 = lead.external_id = None
    for contact in found.contacts:
        tag = contact.id.hex
        contact.name = contact.phone_raw = ERASED
        contact.email, contact.phone_key = f"erased-{tag}@erased.invalid", f"erased:{tag}"[:32]
        contact.search_profile = None
    for activity in found.activity:
        activity.message = ERASED
        activity.payload = {"erased": True}
    for request in found.requests:
        request.body = '{"erased": true}'
        request.external_id = None
    counts = {
        "leads": len(found.leads),
        "contacts": len(found.contacts),
        "activity": len(found.activity),
        "history": len(found.requests),
        "qualifications": len(found.qualifications),
    }
    session.add(
        Erasure(selector=who.kind, selector_digest=who.digest, counts=counts, operator=operator)
    )
    session.flush()
    return counts
