"""Linking a contacted lead to its agent's contact: one contact per phone + email + agent."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from maxwork_leads.errors import InvalidInput
from maxwork_leads.leads import qualifications, repository
from maxwork_leads.leads.matching import ContactKey
from maxwork_leads.models import Contact, Lead, Qualification

if TYPE_CHECKING:
    from maxwork_leads.leads.service import LeadOutcome

CREATED = "created"
MATCHED = "matched"


def link(session: Session, lead: Lead, outcome: LeadOutcome) -> None:
    """Find the agent's contact for this person, creating it if none exists, and link it."""
    key = ContactKey(agent_id=lead.agent_id, phone_key=lead.phone_key, email=lead.email)
    contact = repository.contact_by_key(session, key)
    operation = MATCHED
    if contact is None:
        contact = Contact(
            agent_id=key.agent_id,
            phone_key=key.phone_key,
            email=key.email,
            name=lead.sender_name,
            phone_raw=lead.phone_raw,
        )
        if repository.insert_contact(session, contact):
            operation = CREATED
        else:
            contact = repository.contact_by_key(session, key)
            if contact is None:
                raise InvalidInput("the contact changed while it was being saved; please retry")
    lead.contact_id = contact.id
    if outcome.qualification is not None:
        update_profile(contact, outcome.qualification)
    outcome.contact = contact
    outcome.contact_operation = operation


def link_together(session: Session, leads: list[Lead]) -> dict[object, tuple[Contact, str]]:
    """`link` for many new leads of distinct people: one look-up and one INSERT for all.

    Returns each linked lead's contact and operation by lead ID. A lead whose new contact
    the unique index refused is left out, for the caller to apply on its own.
    """
    keys = {lead.id: ContactKey(lead.agent_id, lead.phone_key, lead.email) for lead in leads}
    existing = repository.contacts_by_keys(session, list(keys.values()))
    new = {
        lead.id: Contact(
            agent_id=lead.agent_id,
            phone_key=lead.phone_key,
            email=lead.email,
            name=lead.sender_name,
            phone_raw=lead.phone_raw,
        )
        for lead in leads
        if keys[lead.id] not in existing
    }
    written = repository.insert_contacts(session, list(new.values()))
    linked: dict[object, tuple[Contact, str]] = {}
    for lead in leads:
        if keys[lead.id] in existing:
            linked[lead.id] = (existing[keys[lead.id]], MATCHED)
        elif new[lead.id].id in written:
            linked[lead.id] = (new[lead.id], CREATED)
        else:
            continue
        lead.contact_id = linked[lead.id][0].id
    return linked


def update_profile(contact: Contact, qualification: Qualification) -> None:
    """Keep the contact's search profile in step with what the person asked for last."""
    contact.search_profile = qualifications.as_profile(qualification)
