"""What operators do with agencies, users and listings (used by the CLI and the demo)."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from maxwork_leads.directory import repository
from maxwork_leads.errors import InvalidInput
from maxwork_leads.models import Agency, Listing, User
from maxwork_leads.models.directory import ROLES


def _require_text(value: str, what: str, max_length: int) -> str:
    text = value.strip()
    if not text:
        raise InvalidInput(f"{what} must not be empty")
    if "\x00" in text:
        raise InvalidInput(f"{what} must not contain the NUL character")
    if len(text) > max_length:
        raise InvalidInput(f"{what} is longer than {max_length} characters")
    return text


def parse_id(value: str | uuid.UUID, what: str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(value.strip())
    except (ValueError, AttributeError):
        raise InvalidInput(f"{what} {value!r} is not a valid ID") from None


def require_agency(session: Session, agency_id: str | uuid.UUID) -> Agency:
    agency = repository.agency_by_id(session, parse_id(agency_id, "agency"))
    if agency is None:
        raise InvalidInput(f"no agency with ID {agency_id}")
    return agency


def add_agency(session: Session, *, name: str) -> Agency:
    name = _require_text(name, "agency name", 200)
    if repository.agency_by_name(session, name) is not None:
        raise InvalidInput(f"an agency named {name!r} already exists")
    agency = Agency(name=name)
    session.add(agency)
    session.flush()
    return agency


def add_user(
    session: Session,
    *,
    agency_id: str | uuid.UUID,
    username: str,
    name: str,
    email: str | None = None,
    role: str = "agent",
) -> User:
    agency = require_agency(session, agency_id)
    username = _require_text(username, "username", 100)
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}")
    if repository.user_by_username(session, username) is not None:
        raise InvalidInput(f"a user named {username!r} already exists")
    user = User(
        agency_id=agency.id,
        username=username,
        name=_require_text(name, "name", 200),
        email=email.strip().lower() if email else None,
        role=role,
    )
    session.add(user)
    session.flush()
    return user


def resolve_agent(session: Session, agent: str | uuid.UUID, agency: Agency) -> User:
    """An agent given by ID or username, who must work for `agency`."""
    if "\x00" in str(agent):
        raise InvalidInput("agent must not contain the NUL character")
    user = None
    try:
        user = repository.user_by_id(session, parse_id(agent, "agent"))
    except InvalidInput:
        user = repository.user_by_username(session, str(agent).strip())
    if user is None:
        raise InvalidInput(f"no user {agent}")
    if user.agency_id != agency.id:
        raise InvalidInput(f"user {user.username} does not work for agency {agency.name}")
    return user


def save_listing(
    session: Session,
    *,
    reference: str,
    agency_id: str | uuid.UUID,
    agent: str | uuid.UUID,
    title: str | None = None,
    allow_update: bool = False,
) -> tuple[Listing, bool]:
    """Create a listing, or update it when `allow_update`; returns it and whether it is new."""
    reference = _require_text(reference, "reference", 100)
    if reference.casefold() == "none":
        raise InvalidInput('"None" is reserved for manual leads and cannot be a reference')
    agency = require_agency(session, agency_id)
    user = resolve_agent(session, agent, agency)
    title = _require_text(title, "title", 300) if title and title.strip() else None
    listing = repository.listing_by_reference(session, reference)
    if listing is not None:
        if not allow_update:
            raise InvalidInput(f"a listing with reference {reference!r} already exists")
        listing.agency_id, listing.agent_id, listing.title = agency.id, user.id, title
        session.flush()
        return listing, False
    listing = Listing(
        public_reference=reference, agency_id=agency.id, agent_id=user.id, title=title
    )
    session.add(listing)
    session.flush()
    return listing, True
