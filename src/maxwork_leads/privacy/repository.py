"""Every query that finds or rewrites a person's data."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from maxwork_leads.models import (
    Contact,
    IntegrationRequest,
    Lead,
    LeadActivity,
    Qualification,
)
from maxwork_leads.models.leads import by_email


def leads_of(session: Session, *, emails: Sequence[str], phone_keys: Sequence[str]) -> list[Lead]:
    return list(
        session.scalars(
            select(Lead)
            .where(or_(by_email(Lead.email.in_(emails)), Lead.phone_key.in_(phone_keys)))
            .order_by(Lead.created_at, Lead.id)
        )
    )


def contacts_of(
    session: Session, *, emails: Sequence[str], phone_keys: Sequence[str]
) -> list[Contact]:
    return list(
        session.scalars(
            select(Contact)
            .where(or_(Contact.email.in_(emails), Contact.phone_key.in_(phone_keys)))
            .order_by(Contact.created_at, Contact.id)
        )
    )


def qualifications_of(session: Session, lead_ids: Sequence[uuid.UUID]) -> list[Qualification]:
    return list(session.scalars(select(Qualification).where(Qualification.lead_id.in_(lead_ids))))


def activity_of(session: Session, lead_ids: Sequence[uuid.UUID]) -> list[LeadActivity]:
    return list(
        session.scalars(
            select(LeadActivity)
            .where(LeadActivity.lead_id.in_(lead_ids))
            .order_by(LeadActivity.created_at, LeadActivity.id)
        )
    )


def requests_of(
    session: Session, lead_ids: Sequence[uuid.UUID], needles: Sequence[str]
) -> list[IntegrationRequest]:
    """History entries about those leads, or whose body mentions the person (failed ones)."""
    mentions = [func.lower(IntegrationRequest.body).contains(n.lower()) for n in needles if n]
    return list(
        session.scalars(
            select(IntegrationRequest)
            .where(or_(IntegrationRequest.lead_id.in_(lead_ids), *mentions))
            .order_by(IntegrationRequest.id)
        )
    )
