"""Which agent receives a lead, and why."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from maxwork_leads.directory import repository as directory
from maxwork_leads.directory.cache import cache_of
from maxwork_leads.errors import CredentialForbidden, NoAgentAvailable, UnknownListing, UnknownUser
from maxwork_leads.models import Agency, Credential, Listing, User

INTERNAL_USER = "internal_user"
LISTING_AGENT = "listing_agent"
LEAD_MANAGER = "lead_manager"


@dataclass(frozen=True)
class Route:
    agency: Agency
    listing: Listing | None
    agent: User
    reason: str


def route(
    session: Session,
    *,
    credential: Credential,
    public_reference: str | None,
    internal_user_id: uuid.UUID | None,
) -> Route:
    """Resolve the listing (None for a manual lead), check the credential's scope, pick the agent.

    Order: the named internal user, else the listing's active agent, else the agency's
    first active lead manager. A route depends on the directory only, so the process
    remembers it while the directory epoch stands (see `directory.cache`).
    """
    scope = credential.agency_id

    def resolve() -> Route:
        return _resolve(session, scope, public_reference, internal_user_id)

    cache = cache_of(session)
    if cache is None:
        return resolve()
    found = cache.get(session, ("route", scope, public_reference, internal_user_id), resolve)
    assert found is not None
    return found


def _resolve(
    session: Session,
    scope: uuid.UUID | None,
    public_reference: str | None,
    internal_user_id: uuid.UUID | None,
) -> Route:
    listing = listing_agent = listing_agency = None
    if public_reference is not None:
        found = directory.listing_with_agent(session, public_reference)
        if found is None:
            raise UnknownListing.on("public_reference", f"no listing {public_reference!r}")
        listing, listing_agent, listing_agency = found
        if scope is not None and listing.agency_id != scope:
            raise CredentialForbidden("this credential may not send leads for that listing")
        agency_id = listing.agency_id
    elif scope is not None:
        agency_id = scope
    elif internal_user_id is None:
        raise NoAgentAvailable.on(
            "internal_user_id",
            "a credential for all agencies must give Internal_UserId for a manual lead",
        )
    else:
        agency_id = None

    if internal_user_id is not None:
        user = directory.user_by_id(session, internal_user_id)
        if user is None or not user.active:
            raise UnknownUser.on("internal_user_id", "no active user with that ID")
        if agency_id is not None and user.agency_id != agency_id:
            raise UnknownUser.on("internal_user_id", "that user is not in the listing's agency")
        agency = directory.agency_by_id(session, user.agency_id)
        assert agency is not None
        return Route(agency, listing, user, INTERNAL_USER)

    assert agency_id is not None
    agency = listing_agency or directory.agency_by_id(session, agency_id)
    assert agency is not None
    if listing is not None and listing_agent is not None and listing_agent.active:
        return Route(agency, listing, listing_agent, LISTING_AGENT)
    manager = directory.first_lead_manager(session, agency_id)
    if manager is None:
        raise NoAgentAvailable.on(
            "public_reference", "no active agent or lead manager to route this lead to"
        )
    return Route(agency, listing, manager, LEAD_MANAGER)
