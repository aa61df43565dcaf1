"""Plain factory functions with keyword overrides, through the real services."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from typing import Any

from maxwork_leads.credentials import service as credentials
from maxwork_leads.db import Database
from maxwork_leads.directory import service as directory
from maxwork_leads.ids import new_id
from maxwork_leads.models import Agency, Listing, User
from maxwork_leads.models.base import utcnow

_seq = itertools.count(1)


def make_agency(db: Database, *, name: str | None = None) -> Agency:
    with db.session_scope() as session:
        return directory.add_agency(session, name=name or f"Agency {next(_seq)}")


def make_user(
    db: Database,
    *,
    agency: Agency,
    username: str | None = None,
    role: str = "agent",
    active: bool = True,
) -> User:
    with db.session_scope() as session:
        user = directory.add_user(
            session,
            agency_id=agency.id,
            username=username or f"user{next(_seq)}",
            name="Test User",
            role=role,
        )
        user.active = active
        return user


def make_listing(
    db: Database, *, agency: Agency, agent: User, reference: str | None = None
) -> Listing:
    with db.session_scope() as session:
        listing, _ = directory.save_listing(
            session,
            reference=reference or f"REF-{next(_seq)}",
            agency_id=agency.id,
            agent=agent.id,
        )
        return listing


@dataclass(frozen=True)
class Caller:
    """What an integrator needs to call the API."""

    username: str
    token: str

    def params(self) -> dict[str, str]:
        return {"token": self.token}

    def headers(self, **extra: str) -> dict[str, str]:
        return {"user": self.username, **extra}


def make_credential(
    db: Database, *, agency: Agency | None = None, username: str | None = None
) -> Caller:
    with db.session_scope() as session:
        issued = credentials.create(
            session,
            username=username or f"portal{next(_seq)}",
            agency_id=agency.id if agency else None,
        )
        return Caller(issued.credential.username, issued.token)


@dataclass(frozen=True)
class World:
    """One agency with a lead manager, an agent, a listing and a scoped credential."""

    agency: Agency
    manager: User
    agent: User
    listing: Listing
    caller: Caller


def make_world(db: Database) -> World:
    agency = make_agency(db)
    manager = make_user(db, agency=agency, role="lead_manager")
    agent = make_user(db, agency=agency)
    listing = make_listing(db, agency=agency, agent=agent)
    return World(agency, manager, agent, listing, make_credential(db, agency=agency))


def contact_row(agent_id: uuid.UUID, email: str, **overrides: Any) -> dict[str, Any]:
    """A complete `contacts` row, as the repository's many-row writes take it."""
    now = utcnow()
    return {
        "id": new_id(),
        "agent_id": agent_id,
        "phone_key": "+351912345678",
        "email": email,
        "name": "Ana",
        "phone_raw": "912345678",
        "search_profile": None,
        "created_at": now,
        "updated_at": now,
        **overrides,
    }


def lead_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "Public_Reference": "REF",
        "Sender_Name": "Ana Silva",
        "Sender_Email": "ana.silva@example.com",
        "Sender_Phone": "+351 912 345 678",
        "Message": "Is it still available?",
        "Lead_Status": "New",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not _DROP}


_DROP = object()
DROP: Any = _DROP


def new_uuid() -> str:
    return str(uuid.uuid4())
