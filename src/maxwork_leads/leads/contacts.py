"""Linking a contacted lead to its agent's contact: one contact per phone + email + agent."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from maxwork_leads.errors import InvalidInput
from maxwork_leads.ids import new_id
from maxwork_leads.leads import qualifications, repository
from maxwork_leads.leads.lead_row import LeadRow
from maxwork_leads.leads.matching import ContactKey
from maxwork_leads.models import Contact, Lead, Qualification
from maxwork_leads.models.base import utcnow

if TYPE_CHECKING:
    from maxwork_leads.leads.service import LeadOutcome

CREATED = "created"
MATCHED = "matched"


def link(session: Session, lead: Lead | LeadRow, outcome: LeadOutcome) -> None:
    """Find the agent's contact for this person, creating it if none exists, and link it.

    The contact's search profile follows the outcome's qualification, when it has one.
    """
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
    outcome.contact_operation = operation


def link_together(
    session: Session, leads: list[LeadRow], profiles: Mapping[uuid.UUID, dict[str, Any]]
) -> dict[uuid.UUID, str]:
    """`link` for many new leads of distinct people: the contacts found and the missing
    ones inserted together (`repository.find_or_insert_contacts`), and one UPDATE for the
    search profiles of the people already known.

    `profiles` holds the search profile of each lead that has a qualification, by lead ID.
    Returns each linked lead's contact operation by lead ID. A lead whose new contact the
    unique index refused is left out, for the caller to apply on its own.
    """
    keys = {lead.id: ContactKey(lead.agent_id, lead.phone_key, lead.email) for lead in leads}
    now = utcnow()
    rows = {
        lead.id: {
            "id": new_id(),
            "agent_id": lead.agent_id,
            "phone_key": lead.phone_key,
            "email": lead.email,
            "name": lead.sender_name,
            "phone_raw": lead.phone_raw,
            "search_profile": profiles.get(lead.id),
            "created_at": now,
            "updated_at": now,
        }
        for lead in leads
    }
    existing, written = repository.find_or_insert_contacts(session, list(rows.values()))
    linked: dict[uuid.UUID, str] = {}
    known_profiles: dict[uuid.UUID, dict[str, Any]] = {}
    for lead in leads:
        if keys[lead.id] in existing:
            lead.contact_id = existing[keys[lead.id]]
            linked[lead.id] = MATCHED
            if lead.id in profiles:
                known_profiles[lead.contact_id] = profiles[lead.id]
        elif rows[lead.id]["id"] in written:
            lead.contact_id = rows[lead.id]["id"]
            linked[lead.id] = CREATED
    repository.set_search_profiles(session, known_profiles)
    return linked


def update_profile(contact: Contact, qualification: Qualification) -> None:
    """Keep the contact's search profile in step with what the person asked for last."""
    contact.search_profile = qualifications.as_profile(qualification)
