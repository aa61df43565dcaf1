"""Leads for the console: the search, and the helpers the other person searches share.

Every search narrows through an index first (email, phone key, listing, agent) and pages by
the time-ordered lead ID, so no request reads more than a page of leads plus one.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from maxwork_leads.leads.enums import LeadStatus
from maxwork_leads.leads.normalize import normalize_email, normalize_phone
from maxwork_leads.leads.routing import INTERNAL_USER, LEAD_MANAGER, LISTING_AGENT
from maxwork_leads.leads.schemas import MANUAL_REFERENCE
from maxwork_leads.models import (
    Credential,
    Lead,
    Listing,
    User,
)
from maxwork_leads.models.leads import by_email

PAGE_SIZE = 50
MAX_TEXT = 300
# An agent search naming more users than this asks the operator to be more precise.
MAX_AGENTS = 50

# Short words for `leads.routing_reason`; the lead page explains each rule in full.
ROUTING = {
    INTERNAL_USER: "named by the integrator (Internal_UserId)",
    LISTING_AGENT: "the listing's agent",
    LEAD_MANAGER: "the agency's lead manager",
}


class BadInput(ValueError):
    """A search field the operator has to correct; the message is shown in the page."""


@dataclass(frozen=True)
class Window:
    """One page of rows with the `before` values of the pages around it.

    `newer` is "" for the first page and None when this already is the first page.
    """

    rows: list[Any]
    older: str | None
    newer: str | None


def parse_before(text: str) -> uuid.UUID | None:
    if not text.strip():
        return None
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        raise BadInput(
            "The page position (before) is not an ID; start again from the first page."
        ) from None


def keyset(
    session: Session,
    rows_query: Select[Any],
    id_column: Any,
    conditions: list[ColumnElement[bool]],
    *,
    before: uuid.UUID | None,
    limit: int,
) -> Window:
    """Newest first below `before`, plus one row to know whether an older page exists."""
    query = rows_query.where(*conditions)
    if before is not None:
        query = query.where(id_column < before)
    rows = list(session.execute(query.order_by(id_column.desc()).limit(limit + 1)))
    older = str(rows[limit - 1].id) if len(rows) > limit else None
    newer = None
    if before is not None:
        ahead = list(
            session.scalars(
                select(id_column)
                .where(*conditions, id_column >= before)
                .order_by(id_column)
                .limit(limit + 1)
            )
        )
        if ahead:
            newer = str(ahead[limit]) if len(ahead) > limit else ""
    return Window(rows[:limit], older, newer)


def clean(text: str, what: str) -> str:
    value = text.strip()
    if len(value) > MAX_TEXT:
        raise BadInput(f"{what} is longer than {MAX_TEXT} characters.")
    if "\x00" in value:
        raise BadInput(f"{what} contains a NUL character.")
    return value


def email_key(text: str) -> str:
    """The email as leads and contacts store it, so any letter case finds them."""
    try:
        return normalize_email(text)
    except ValueError as exc:
        raise BadInput(f"Email {text!r} is not an email address: {exc}") from None


def phone_key(text: str, region: str) -> str:
    """The phone key the lead service stores, so any spelling of the number finds it."""
    try:
        return normalize_phone(text, region).key
    except ValueError as exc:
        raise BadInput(f"Phone {text!r} is not a phone number: {exc}.") from None


@dataclass(frozen=True)
class LeadSearch:
    """The search form as typed."""

    name: str = ""
    email: str = ""
    phone: str = ""
    listing: str = ""
    agent: str = ""
    status: str = ""
    before: str = ""

    def params(self) -> dict[str, str]:
        """The filters, for the links to other pages of the same search."""
        return {key: value for key, value in asdict(self).items() if key != "before"}


@dataclass(frozen=True)
class LeadRow:
    id: uuid.UUID
    created_at: datetime
    sender_name: str
    email: str
    phone: str
    public_reference: str
    agent_username: str
    agent_name: str
    status: str
    stage: str
    integrator: str


@dataclass
class LeadResults:
    window: Window
    notes: list[str] = field(default_factory=list)


_ROW = (
    select(
        Lead.id,
        Lead.created_at,
        Lead.sender_name,
        Lead.email,
        Lead.phone_key,
        Lead.public_reference,
        User.username,
        User.name,
        Lead.status,
        Lead.stage,
        Credential.username,
    )
    .join(User, User.id == Lead.agent_id)
    .join(Credential, Credential.id == Lead.credential_id)
)


def search_leads(
    session: Session, search: LeadSearch, *, region: str, limit: int = PAGE_SIZE
) -> LeadResults:
    """One page of matching leads, newest first; raises BadInput for a field to correct."""
    before = parse_before(search.before)
    conditions, notes = lead_conditions(session, search, region=region)
    if conditions is None:
        return LeadResults(Window([], None, None), notes)
    window = keyset(session, _ROW, Lead.id, conditions, before=before, limit=limit)
    rows = [LeadRow(*row) for row in window.rows]
    return LeadResults(Window(rows, window.older, window.newer), notes)


def lead_conditions(
    session: Session, search: LeadSearch, *, region: str
) -> tuple[list[ColumnElement[bool]] | None, list[str]]:
    """The WHERE clauses; None, with a note why, when a listing or agent named matches nothing."""
    conditions: list[ColumnElement[bool]] = []
    notes: list[str] = []
    if email := clean(search.email, "Email"):
        conditions.append(by_email(Lead.email == email_key(email)))
    if phone := clean(search.phone, "Phone"):
        conditions.append(Lead.phone_key == phone_key(phone, region))
    if status := clean(search.status, "Status"):
        conditions.extend(_status(status))
    if name := clean(search.name, "Name"):
        conditions.append(Lead.sender_name.icontains(name, autoescape=True))
    if reference := clean(search.listing, "Listing reference"):
        if reference.casefold() == MANUAL_REFERENCE.casefold():
            conditions.append(Lead.listing_id.is_(None))
        else:
            listing_id = session.scalar(
                select(Listing.id).where(Listing.public_reference == reference)
            )
            if listing_id is None:
                notes.append(f"No listing has the reference {reference!r} (letter case counts).")
                return None, notes
            conditions.append(Lead.listing_id == listing_id)
    if agent := clean(search.agent, "Agent"):
        users = matching_users(session, agent)
        if not users:
            notes.append(f"No user has the username or a name containing {agent!r}.")
            return None, notes
        if len(users) > 1:
            names = ", ".join(user.username for user in users)
            notes.append(f"Agent {agent!r} matches {len(users)} users: {names}.")
        conditions.append(Lead.agent_id.in_([user.id for user in users]))
    return conditions, notes


def _status(text: str) -> list[ColumnElement[bool]]:
    if text.casefold() == "any":
        return []
    for status in LeadStatus:
        if status.value.casefold() == text.casefold():
            return [Lead.status == status.value]
    raise BadInput(f"Status {text!r} is not one of New, Contacted, Archived.")


@dataclass(frozen=True)
class UserMatch:
    id: uuid.UUID
    username: str
    name: str


def matching_users(session: Session, text: str) -> list[UserMatch]:
    """The user with this username (any case), else those whose username or name contains it.

    An exact username wins so that `anna` never also means `anna.lopes`.
    """
    columns = select(User.id, User.username, User.name)
    exact = session.execute(columns.where(User.username == text)).all()
    if not exact:
        exact = session.execute(
            columns.where(func.lower(User.username) == text.lower()).limit(MAX_AGENTS)
        ).all()
    if exact:
        return [UserMatch(*row) for row in exact]
    found = session.execute(
        columns.where(
            or_(
                User.username.icontains(text, autoescape=True),
                User.name.icontains(text, autoescape=True),
            )
        )
        .order_by(User.username)
        .limit(MAX_AGENTS + 1)
    ).all()
    if len(found) > MAX_AGENTS:
        raise BadInput(
            f"Agent {text!r} matches more than {MAX_AGENTS} users; type the username or more "
            "of the name."
        )
    return [UserMatch(*row) for row in found]
