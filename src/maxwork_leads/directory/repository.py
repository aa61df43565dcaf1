"""Every query about agencies, users and listings."""

from __future__ import annotations

import uuid

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from maxwork_leads.models import Agency, Listing, User
from maxwork_leads.models.directory import ROLE_LEAD_MANAGER


def agency_by_id(session: Session, agency_id: uuid.UUID) -> Agency | None:
    return session.get(Agency, agency_id)


def agency_by_name(session: Session, name: str) -> Agency | None:
    return session.scalar(select(Agency).where(Agency.name == name))


def user_by_id(session: Session, user_id: uuid.UUID) -> User | None:
    return session.get(User, user_id)


def user_by_username(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def first_lead_manager(session: Session, agency_id: uuid.UUID) -> User | None:
    """The agency's first active lead manager, by creation then ID, so the choice is stable."""
    return session.scalar(
        select(User)
        .where(User.agency_id == agency_id, User.role == ROLE_LEAD_MANAGER, User.active)
        .order_by(User.created_at, User.id)
        .limit(1)
    )


def listing_by_reference(session: Session, reference: str) -> Listing | None:
    return session.scalar(select(Listing).where(Listing.public_reference == reference))


_LISTING_WITH_AGENT = (
    select(Listing, User, Agency)
    .join(User, User.id == Listing.agent_id)
    .join(Agency, Agency.id == Listing.agency_id)
    .where(Listing.public_reference == bindparam("reference"))
)


def listing_with_agent(session: Session, reference: str) -> tuple[Listing, User, Agency] | None:
    """A listing with its responsible agent and its agency, in one round trip.

    Remembered for the rest of the transaction: a batch names the same listing many times.
    """
    seen: dict[str, tuple[Listing, User, Agency] | None] = session.info.setdefault(
        "listings_by_reference", {}
    )
    if reference not in seen:
        row = session.execute(_LISTING_WITH_AGENT, {"reference": reference}).one_or_none()
        seen[reference] = None if row is None else (row[0], row[1], row[2])
    return seen[reference]
