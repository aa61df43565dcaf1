"""Every query about leads, contacts, qualifications and lead activity."""

from __future__ import annotations

import uuid

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from maxwork_leads.leads.enums import LeadStatus
from maxwork_leads.leads.matching import ContactKey, NaturalKey
from maxwork_leads.models import Contact, Lead, LeadActivity, Qualification


def lock_keys(session: Session, lock_ids: list[int]) -> None:
    """Serialise requests about the same lead until this transaction ends.

    PostgreSQL: transaction-scoped advisory locks, taken in the caller's order. SQLite needs
    none: every write transaction there begins IMMEDIATE and so already runs alone.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    for lock_id in lock_ids:
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})


def lead_by_external_id(
    session: Session, credential_id: uuid.UUID, external_id: str
) -> Lead | None:
    return session.scalar(
        select(Lead)
        .where(Lead.credential_id == credential_id, Lead.external_id == external_id)
        .with_for_update()
    )


def _by_key(key: NaturalKey):  # type: ignore[no-untyped-def]
    return select(Lead).where(
        Lead.agent_id == key.agent_id,
        Lead.listing_key == key.listing_key,
        Lead.phone_key == key.phone_key,
        Lead.email == key.email,
    )


def open_lead(session: Session, key: NaturalKey) -> Lead | None:
    query = _by_key(key).where(Lead.status != LeadStatus.ARCHIVED.value)
    return session.scalar(query.with_for_update())


def latest_archived_lead(session: Session, key: NaturalKey) -> Lead | None:
    query = _by_key(key).where(Lead.status == LeadStatus.ARCHIVED.value)
    return session.scalar(query.order_by(Lead.created_at.desc(), Lead.id.desc()).limit(1))


def insert(session: Session, row: Lead | Contact) -> bool:
    """Insert inside a savepoint; False when a unique index says another request won."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


def contact_by_key(session: Session, key: ContactKey) -> Contact | None:
    return session.scalar(
        select(Contact).where(
            Contact.agent_id == key.agent_id,
            Contact.phone_key == key.phone_key,
            Contact.email == key.email,
        )
    )


def contact_by_id(session: Session, contact_id: uuid.UUID) -> Contact | None:
    return session.get(Contact, contact_id)


def qualification_for(session: Session, lead_id: uuid.UUID) -> Qualification | None:
    return session.scalar(select(Qualification).where(Qualification.lead_id == lead_id))


def add(session: Session, row: Qualification | LeadActivity) -> None:
    session.add(row)
    session.flush()
