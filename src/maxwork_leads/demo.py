"""A small, idempotent data set so that a first run can take a request at once."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from maxwork_leads.credentials import repository as credential_repository
from maxwork_leads.credentials import service as credentials
from maxwork_leads.directory import repository, service
from maxwork_leads.models import Agency, User
from maxwork_leads.models.directory import ROLE_AGENT, ROLE_LEAD_MANAGER
from maxwork_leads.operators import service as operators

AGENCY = "Demo Realty"
MANAGER = "demo.manager"
AGENT = "demo.agent"
LISTINGS = (("DEMO-1001", "Two-bedroom flat, Lisbon"), ("DEMO-1002", "Townhouse, Porto"))
INTEGRATOR = "demo-portal"
OPERATOR = "demo"


@dataclass(frozen=True)
class Demo:
    agency: Agency
    manager: User
    agent: User
    references: tuple[str, ...]
    username: str
    token: str
    operator: str
    operator_password: str


def _user(session: Session, agency: Agency, username: str, name: str, role: str) -> User:
    user = repository.user_by_username(session, username)
    if user is None:
        user = service.add_user(
            session, agency_id=agency.id, username=username, name=name, role=role
        )
    return user


def load(session: Session) -> Demo:
    """Create what is missing; the demo credential gets a fresh token and the demo operator
    a fresh password on every run (neither is stored in clear, so neither can be shown again).
    """
    agency = repository.agency_by_name(session, AGENCY) or service.add_agency(session, name=AGENCY)
    manager = _user(session, agency, MANAGER, "Marta Manager", ROLE_LEAD_MANAGER)
    agent = _user(session, agency, AGENT, "Rui Agent", ROLE_AGENT)
    for reference, title in LISTINGS:
        if repository.listing_by_reference(session, reference) is None:
            service.save_listing(
                session, reference=reference, agency_id=agency.id, agent=agent.id, title=title
            )
    if credential_repository.by_username(session, INTEGRATOR) is None:
        issued = credentials.create(session, username=INTEGRATOR, agency_id=agency.id)
    else:
        issued = credentials.rotate(session, username=INTEGRATOR)
    password = secrets.token_urlsafe(12)
    if operators.by_username(session, OPERATOR) is None:
        operators.add(session, username=OPERATOR, password=password)
    else:
        operators.set_password(session, username=OPERATOR, password=password)
    return Demo(
        agency=agency,
        manager=manager,
        agent=agent,
        references=tuple(ref for ref, _ in LISTINGS),
        username=INTEGRATOR,
        token=issued.token,
        operator=OPERATOR,
        operator_password=password,
    )


def curl_example(demo: Demo, base_url: str) -> str:
    body = (
        f'{{"Public_Reference": "{demo.references[0]}", "Sender_Name": "Ana Silva", '
        '"Sender_Email": "ana.silva@example.com", "Sender_Phone": "+351 912 345 678", '
        '"Message": "Is the flat still available?", "Lead_Status": "New"}'
    )
    return (
        f"curl -sS -i -X POST '{base_url}/listingexport/leads?token={demo.token}' "
        f"-H 'user: {demo.username}' -H 'Content-Type: application/json' -d '{body}'"
    )
