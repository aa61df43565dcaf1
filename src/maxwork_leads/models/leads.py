"""Leads, the contacts they become, their qualifications and their activity."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ColumnElement,
    ForeignKey,
    Index,
    PrimaryKeyConstraint,
    String,
    Text,
    and_,
    or_,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from maxwork_leads.leads.enums import LeadStatus
from maxwork_leads.models.base import Base, IdMixin, TimestampMixin, utcnow

ARCHIVED = LeadStatus.ARCHIVED.value
# Partial indexes' predicates. A query meant to use one states the same text (not a bound
# value): only then may PostgreSQL's generic plans and SQLite use the index.
OPEN_LEAD = text(f"status <> '{ARCHIVED}'")
ARCHIVED_LEAD = text(f"status = '{ARCHIVED}'")
HAS_EXTERNAL_ID = text("external_id IS NOT NULL")


def by_email(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """A condition on `Lead.email`, for leads of any status, in the form that lets the
    database use the two partial indexes leading with email: once for open leads, once
    for archived ones. Stated plainly, neither partial index could serve it (no other
    index holds every lead's email)."""
    return or_(and_(condition, OPEN_LEAD), and_(condition, ARCHIVED_LEAD))


class Contact(IdMixin, TimestampMixin, Base):
    """A person in an agent's address book: one per normalised phone + email + agent."""

    __tablename__ = "contacts"
    __table_args__ = (
        # Email first: also the index of every look-up by email (a batch's contacts, the
        # console's person search, an erasure), so that no other index holds the email.
        Index("uq_contacts_identity", "email", "phone_key", "agent_id", unique=True),
        # The console finds a person by phone across agents.
        Index("ix_contacts_phone_key", "phone_key"),
    )

    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    phone_key: Mapped[str] = mapped_column(String(32))
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    phone_raw: Mapped[str] = mapped_column(String(64))
    search_profile: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Lead(IdMixin, TimestampMixin, Base):
    __tablename__ = "leads"
    __table_args__ = (
        # At most one open lead per natural key; archived leads are history and may repeat.
        # Email first: with its archived twin below, the index of every look-up by email
        # (see `by_email`), so that no third index holds the email of every lead.
        Index(
            "uq_leads_open_natural_key",
            "email",
            "phone_key",
            "agent_id",
            "listing_key",
            unique=True,
            postgresql_where=OPEN_LEAD,
            sqlite_where=OPEN_LEAD,
        ),
        # At most one lead per external ID per integrator.
        Index(
            "uq_leads_credential_external_id",
            "credential_id",
            "external_id",
            unique=True,
            postgresql_where=HAS_EXTERNAL_ID,
            sqlite_where=HAS_EXTERNAL_ID,
        ),
        # Archived leads by natural key, for one that comes back; open leads are found
        # through the unique index above, so a new lead adds no entry here.
        Index(
            "ix_leads_archived_natural_key",
            "email",
            "phone_key",
            "agent_id",
            "listing_key",
            postgresql_where=ARCHIVED_LEAD,
            sqlite_where=ARCHIVED_LEAD,
        ),
        Index("ix_leads_updated_at", "updated_at"),
        Index("ix_leads_change_seq", "change_seq", "id"),
        # Also serves every look-up by credential alone (and the foreign key's checks).
        Index("ix_leads_credential_id_change_seq", "credential_id", "change_seq", "id"),
        # The console finds a person's leads by phone across agents.
        Index("ix_leads_phone_key", "phone_key"),
    )

    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"), index=True)
    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    listing_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("listings.id"), index=True)
    # The listing's ID as text, or "manual": a non-null column so the unique index holds.
    listing_key: Mapped[str] = mapped_column(String(40))
    public_reference: Mapped[str] = mapped_column(String(100))
    credential_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("credentials.id"))
    external_id: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    stage: Mapped[str] = mapped_column(String(20))
    routing_reason: Mapped[str] = mapped_column(String(20))
    sender_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    phone_raw: Mapped[str] = mapped_column(String(64))
    phone_key: Mapped[str] = mapped_column(String(32))
    phone_e164: Mapped[str | None] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    # Fingerprint of the last request applied, so an identical repeat changes nothing.
    last_fingerprint: Mapped[str] = mapped_column(String(64))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    enquired_at: Mapped[datetime] = mapped_column(default=utcnow)
    contacted_at: Mapped[datetime | None]
    archived_at: Mapped[datetime | None]
    # Commit-ordered change number for the change feed: the writing transaction's ID on
    # PostgreSQL, a counter on SQLite (whose writers never overlap).
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class LeadLink(Base):
    """Another integrator's credential that sent a request about a lead it did not create.

    The creator sees its leads through `Lead.credential_id`; these rows let the others see
    the leads they have touched, and no more.
    """

    __tablename__ = "lead_links"
    __table_args__ = (PrimaryKeyConstraint("credential_id", "lead_id"),)

    credential_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("credentials.id"))
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Qualification(IdMixin, TimestampMixin, Base):
    """What the person behind a lead is looking for."""

    __tablename__ = "qualifications"

    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id"), unique=True)
    price_min: Mapped[float | None]
    price_max: Mapped[float | None]
    room_min: Mapped[int | None]
    room_max: Mapped[int | None]
    area_min: Mapped[float | None]
    area_max: Mapped[float | None]
    lead_type: Mapped[str | None] = mapped_column(String(20))
    business_type: Mapped[str | None] = mapped_column(String(20))
    listing_class: Mapped[str | None] = mapped_column(String(20))
    property_type: Mapped[str | None] = mapped_column(String(40))
    attributes: Mapped[list[str] | None] = mapped_column(JSON)


class LeadActivity(IdMixin, Base):
    """One accepted request's effect on a lead, written in the same transaction as the change.

    Its lead and credential are not foreign keys, and neither are the history's: on
    PostgreSQL each was a trigger per row that found and locked the referenced row, about
    half of the database's time for a batch of new leads. These rows are only ever
    written beside the lead they describe, for the credential just authenticated, and
    nothing deletes leads or credentials, so the checks could never fail (migration 0008).
    """

    __tablename__ = "lead_activity"

    lead_id: Mapped[uuid.UUID] = mapped_column(index=True)
    credential_id: Mapped[uuid.UUID]
    user_agent: Mapped[str | None] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(30))
    status_before: Mapped[str | None] = mapped_column(String(20))
    status_after: Mapped[str] = mapped_column(String(20))
    message: Mapped[str | None] = mapped_column(Text)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
