"""What the universal endpoint does with one lead: find or create it, move it, qualify it.

Every change and its activity row happen in the caller's transaction; this module flushes,
it never commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from maxwork_leads.errors import InvalidInput, ValidationFailed
from maxwork_leads.ids import new_id
from maxwork_leads.leads import contacts, lifecycle, qualifications, repository, routing
from maxwork_leads.leads.enums import LeadStatus, Stage
from maxwork_leads.leads.lead_row import LeadRow
from maxwork_leads.leads.matching import ContactKey, NaturalKey, listing_key, lock_id
from maxwork_leads.leads.normalize import Phone
from maxwork_leads.leads.schemas import MANUAL_REFERENCE, LeadIn
from maxwork_leads.models import Credential, Lead, Qualification, User
from maxwork_leads.models.base import utcnow

CREATED = "created"
UPDATED = "updated"
UNCHANGED = "unchanged"


@dataclass
class LeadOutcome:
    lead: Lead | LeadRow
    agent: User
    operation: str
    contact_operation: str | None = None
    qualification: Qualification | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Received:
    """Who sent the request and what arrived, for the lead's activity."""

    credential: Credential
    user_agent: str | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class Prepared:
    """A validated request, routed, with the keys it will lock: everything before writing."""

    lead_in: LeadIn
    phone: Phone
    route: routing.Route
    key: NaturalKey
    credential_id: uuid.UUID
    warnings: tuple[str, ...]

    def locks(self) -> list[int]:
        """The locks of its lead, its contact and its External_LeadId. Named only when
        asked: SQLite takes none (`repository.lock_keys`), and hashing them was 2 % of a
        batch's server samples there."""
        key = self.key
        locks = [key.lock_id(), ContactKey(key.agent_id, key.phone_key, key.email).lock_id()]
        if self.lead_in.external_id is not None:
            locks.append(lock_id("external", str(self.credential_id), self.lead_in.external_id))
        return locks


def prepare(session: Session, lead_in: LeadIn, credential: Credential, *, region: str) -> Prepared:
    """Normalise and route; reads only, so that a batch can prepare every item first."""
    warnings = [f"Unknown field {name} ignored" for name in lead_in.unknown_fields()]
    phone = lead_in.phone(region)
    if phone.warning:
        warnings.append(phone.warning)
    route = routing.route(
        session,
        credential=credential,
        public_reference=None if lead_in.is_manual else lead_in.public_reference,
        internal_user_id=lead_in.internal_user_id,
    )
    key = NaturalKey(
        agent_id=route.agent.id,
        listing_key=listing_key(route.listing.id if route.listing else None),
        phone_key=phone.key,
        email=lead_in.sender_email,
    )
    return Prepared(lead_in, phone, route, key, credential.id, tuple(warnings))


def ingest(session: Session, lead_in: LeadIn, received: Received, *, region: str) -> LeadOutcome:
    """Apply one request of the universal endpoint and say what happened to which lead."""
    prepared = prepare(session, lead_in, received.credential, region=region)
    repository.lock_keys(session, prepared.locks())
    return apply(session, prepared, received)


def apply(session: Session, prepared: Prepared, received: Received) -> LeadOutcome:
    """Find or create the lead and apply the request; the caller holds the locks."""
    lead_in, key, credential = prepared.lead_in, prepared.key, received.credential
    warnings = list(prepared.warnings)
    digest = lead_in.digest(prepared.phone)
    lead = _find(session, lead_in, key, credential, warnings)
    if lead is None:
        new = _new_lead(lead_in, prepared.route, key, prepared.phone, credential, digest, utcnow())
        created = _create(session, new, lead_in, prepared.route.agent, received, warnings)
        if created is not None:
            return created
        lead = _find(session, lead_in, key, credential, warnings)
        if lead is None:
            raise InvalidInput("the lead changed while it was being saved; please retry")
    return _update(session, lead, lead_in, prepared.route.agent, received, digest, warnings)


def _find(
    session: Session,
    lead_in: LeadIn,
    key: NaturalKey,
    credential: Credential,
    warnings: list[str],
) -> Lead | None:
    """The lead this request talks about: by external ID, else the open one, else None.

    An `Archived` request with no open lead also finds the latest archived lead, so that
    archiving twice is a no-op rather than a second closed lead.
    """
    if lead_in.external_id is not None:
        lead = repository.lead_by_external_id(session, credential.id, lead_in.external_id)
        if lead is not None:
            return lead
    lead = repository.open_lead(session, key)
    if lead is None and lead_in.lead_status is LeadStatus.ARCHIVED:
        lead = repository.latest_archived_lead(session, key)
    if lead is None or lead_in.external_id is None or lead.external_id == lead_in.external_id:
        return lead
    _take_external_id(lead, lead_in.external_id, credential, warnings)
    return lead


def _takes_external_id(lead: Lead | LeadRow, credential: Credential) -> bool:
    """Whether a lead found by its person takes the unused External_LeadId a request sends:
    only a lead without one, from the integrator that created it."""
    return lead.external_id is None and lead.credential_id == credential.id


def _take_external_id(
    lead: Lead | LeadRow, external_id: str, credential: Credential, warnings: list[str]
) -> None:
    """Name the lead with the External_LeadId (see `_takes_external_id`), or warn that the
    request was recorded on a lead known by another."""
    if _takes_external_id(lead, credential):
        lead.external_id = external_id
    else:
        warnings.append(
            "This person already has an open lead for this listing and agent "
            f"(External_LeadId {lead.external_id!r}); the request was recorded on it"
        )


def _new_lead(
    lead_in: LeadIn,
    route: routing.Route,
    key: NaturalKey,
    phone: Phone,
    credential: Credential,
    digest: str,
    now: datetime,
) -> LeadRow:
    status = lead_in.lead_status
    return LeadRow(
        id=new_id(),
        agency_id=route.agency.id,
        agent_id=route.agent.id,
        listing_id=route.listing.id if route.listing else None,
        listing_key=key.listing_key,
        public_reference=route.listing.public_reference if route.listing else MANUAL_REFERENCE,
        credential_id=credential.id,
        external_id=lead_in.external_id,
        status=status.value,
        stage=Stage.LEAD.value,
        routing_reason=route.reason,
        sender_name=lead_in.sender_name,
        email=key.email,
        phone_raw=phone.raw,
        phone_key=phone.key,
        phone_e164=phone.e164,
        message=lead_in.message,
        last_fingerprint=digest,
        enquired_at=lead_in.created_at or now,
        contacted_at=now if status is LeadStatus.CONTACTED else None,
        archived_at=now if status is LeadStatus.ARCHIVED else None,
        created_at=now,
        updated_at=now,
    )


def _stamp(session: Session, lead: Lead) -> None:
    """Mark the lead changed, for the change feed."""
    lead.change_seq = repository.next_change_seq(session)


def _create(
    session: Session,
    lead: LeadRow,
    lead_in: LeadIn,
    agent: User,
    received: Received,
    warnings: list[str],
) -> LeadOutcome | None:
    """Write a new lead whole (stage and contact decided first); None if another won."""
    outcome = LeadOutcome(lead=lead, agent=agent, operation=CREATED, warnings=warnings)
    changes = _created_changes(lead)
    values = lead_in.qualification_values()
    if values:
        outcome.qualification = qualifications.start(lead, values, changes)
    if lead.status == LeadStatus.CONTACTED:
        contacts.link(session, lead, outcome)
    if not repository.insert_lead(session, lead):
        return None
    if outcome.qualification is not None:
        repository.insert_qualification(session, outcome.qualification)
    repository.add_activity(
        session,
        _activity(lead, received, "created", None, changes, lead_in.message, lead.created_at),
    )
    return outcome


def _created_changes(lead: LeadRow) -> dict[str, Any]:
    """What a new lead's activity records first: its status and why it went to its agent."""
    return {"status": [None, lead.status], "routing": lead.routing_reason}


def finds_archived(prepared: Prepared) -> bool:
    """Whether the request, when no open lead matches it, also looks for the latest
    archived lead (`_find`): an `Archived` one, so that archiving twice is a no-op. With
    no lead matching at all, any request only creates a lead (with its qualification, and
    its contact found or created when contacted), so many can be written together
    (`create_together`)."""
    return prepared.lead_in.lead_status is LeadStatus.ARCHIVED


def create_together(
    session: Session, batch: list[tuple[Prepared, Received]]
) -> list[LeadOutcome | None]:
    """New leads for requests that no lead matches: one INSERT for all the leads,
    one look-up and one INSERT for the contacts of the contacted ones, and one INSERT for
    their qualifications.

    The caller holds the locks and has checked that no lead matches any of these requests
    and that no two of them share a lead or contact, so each result is what `apply` would
    have given for it alone. None for a request to apply alone: a row a unique index
    refused, or qualification ranges that do not hold (refused there, with its message).
    """
    leads: list[LeadRow | None] = []
    started: dict[uuid.UUID, Qualification] = {}
    changes: dict[uuid.UUID, dict[str, Any]] = {}
    now = utcnow()  # one transaction: its rows share their times (see `UtcDateTime`)
    for prepared, received in batch:
        lead = _new_lead(
            prepared.lead_in,
            prepared.route,
            prepared.key,
            prepared.phone,
            received.credential,
            prepared.lead_in.digest(prepared.phone),
            now,
        )
        changes[lead.id] = _created_changes(lead)
        values = prepared.lead_in.qualification_values()
        if values:
            try:
                started[lead.id] = qualifications.start(lead, values, changes[lead.id])
            except ValidationFailed:
                leads.append(None)
                continue
        leads.append(lead)
    contacted = [lead for lead in leads if lead and lead.status == LeadStatus.CONTACTED]
    profiles = {
        lead.id: qualifications.as_profile(started[lead.id])
        for lead in contacted
        if lead.id in started
    }
    linked = contacts.link_together(session, contacted, profiles)
    written = repository.insert_leads(
        session,
        [
            lead
            for lead in leads
            if lead and (lead.status != LeadStatus.CONTACTED or lead.id in linked)
        ],
    )
    repository.insert_qualifications(
        session, [started[lead_id] for lead_id in started if lead_id in written]
    )
    outcomes: list[LeadOutcome | None] = []
    activity = []
    for (prepared, received), lead in zip(batch, leads, strict=True):
        if lead is None or lead.id not in written:
            outcomes.append(None)
            continue
        outcomes.append(
            LeadOutcome(
                lead=lead,
                agent=prepared.route.agent,
                operation=CREATED,
                contact_operation=linked.get(lead.id),
                qualification=started.get(lead.id),
                warnings=list(prepared.warnings),
            )
        )
        activity.append(
            _activity(
                lead, received, "created", None, changes[lead.id], prepared.lead_in.message, now
            )
        )
    repository.add_activity(session, *activity)
    return outcomes


def _update(
    session: Session,
    lead: Lead,
    lead_in: LeadIn,
    agent: User,
    received: Received,
    digest: str,
    warnings: list[str],
) -> LeadOutcome:
    outcome = LeadOutcome(lead=lead, agent=agent, operation=UNCHANGED, warnings=warnings)
    _known_to(session, outcome, received)
    qualification = repository.qualification_for(session, lead.id)
    outcome.qualification = qualification
    if lead.last_fingerprint == digest:
        return outcome

    current = LeadStatus(lead.status)
    now = utcnow()
    changes = _move(lead, lead_in.lead_status, warnings, now)
    values = lead_in.qualification_values()
    if values:
        outcome.qualification = qualifications.apply(session, lead, values, changes, qualification)
    if lead.status == LeadStatus.CONTACTED and lead.contact_id is None:
        contacts.link(session, lead, outcome)
    elif lead.contact_id is not None and outcome.qualification is not None and values:
        contact = repository.contact_by_id(session, lead.contact_id)
        if contact is not None:
            contacts.update_profile(contact, outcome.qualification)
    lead.last_fingerprint = digest
    lead.updated_at = now
    _stamp(session, lead)
    repository.add_activity(
        session, _update_activity(lead, received, current, changes, lead_in, now)
    )
    outcome.operation = UPDATED
    return outcome


def _known_to(session: Session, outcome: LeadOutcome, received: Received) -> None:
    """Let the sender see the lead from now on, and answer with the lead's own agent."""
    lead = outcome.lead
    repository.link(session, received.credential.id, lead)
    if lead.agent_id != outcome.agent.id:
        outcome.agent = session.get(User, lead.agent_id) or outcome.agent


def _move(
    lead: Lead | LeadRow, requested: LeadStatus, warnings: list[str], now: datetime
) -> dict[str, Any]:
    """The lead's status moved as far as the request asks (never backwards); its changes."""
    current = LeadStatus(lead.status)
    status = lifecycle.next_status(current, requested)
    warning = lifecycle.backwards_warning(current, requested)
    if warning:
        warnings.append(warning)
    changes: dict[str, Any] = {}
    if status is not current:
        changes["status"] = [current.value, status.value]
        lead.status = status.value
        if status is LeadStatus.CONTACTED:
            lead.contacted_at = now
        elif status is LeadStatus.ARCHIVED:
            lead.archived_at = now
    return changes


def _update_activity(
    lead: Lead | LeadRow,
    received: Received,
    before: LeadStatus,
    changes: dict[str, Any],
    lead_in: LeadIn,
    now: datetime,
) -> dict[str, Any]:
    kind = "status_change" if "status" in changes else "enquiry"
    return _activity(lead, received, kind, before.value, changes, lead_in.message, now)


@dataclass
class FollowUp:
    """A request about a lead that exists, judged before anything is changed."""

    prepared: Prepared
    received: Received
    lead: LeadRow
    digest: str
    values: dict[str, Any]
    qualification: Qualification | None
    status: LeadStatus  # the lead's status once the request is applied

    @property
    def changes_lead(self) -> bool:
        return self.lead.last_fingerprint != self.digest

    @property
    def sends_other_external_id(self) -> bool:
        """An External_LeadId that is not the lead's: the lead takes it, or a warning."""
        return self.prepared.lead_in.external_id not in (None, self.lead.external_id)

    @property
    def needs_contact(self) -> bool:
        """Contacted by this request with no contact yet: `_update` would link one."""
        return (
            self.changes_lead
            and self.status is LeadStatus.CONTACTED
            and self.lead.contact_id is None
        )


def update_together(
    session: Session, batch: list[tuple[Prepared, Received, uuid.UUID]]
) -> list[LeadOutcome | None]:
    """Requests about existing leads, each given with the ID of the open lead it finds,
    applied together: one read of the leads and one of their qualifications, one look-up
    and one INSERT for the contacts the newly contacted ones need, one UPDATE for the
    leads and one INSERT for the activity.

    The caller holds the locks and has checked that each request's lead is the one
    `_find` would give it (the External_LeadId it sends is the lead's own or unused), and
    that no two of them share a lead, contact or External_LeadId; so each result is what
    `apply` would have given for it alone. None, with nothing changed for it, for a
    request to apply alone: ranges that would not hold once merged (refused there, with
    the message), a lead no longer open, a contact a unique index refused, or a repeat
    that names its lead and changes nothing else (alone, that writes no change number).
    """
    if not batch:
        return []
    leads = repository.lead_rows(session, [lead_id for _, _, lead_id in batch])
    found = repository.qualifications_by_lead(session, list(leads))
    judged: list[FollowUp | None] = []
    for prepared, received, lead_id in batch:
        lead = leads.get(lead_id)
        lead_in = prepared.lead_in
        if lead is None or lead.status == LeadStatus.ARCHIVED:
            judged.append(None)
            continue
        follow_up = FollowUp(
            prepared,
            received,
            lead,
            lead_in.digest(prepared.phone),
            lead_in.qualification_values(),
            found.get(lead_id),
            lifecycle.next_status(LeadStatus(lead.status), lead_in.lead_status),
        )
        refused = follow_up.changes_lead and not qualifications.holds(
            follow_up.qualification, follow_up.values
        )
        names_only = (
            not follow_up.changes_lead
            and follow_up.sends_other_external_id
            and _takes_external_id(lead, received.credential)
        )
        judged.append(None if refused or names_only else follow_up)
    linked = _link_contacts(session, [f for f in judged if f is not None and f.needs_contact])
    outcomes: list[LeadOutcome | None] = []
    changed: list[LeadRow] = []
    started: list[Qualification] = []
    profiles: dict[uuid.UUID, dict[str, Any]] = {}
    activity = []
    now = utcnow()  # one transaction: its rows share their times (see `UtcDateTime`)
    for follow_up in judged:
        if follow_up is None or (follow_up.needs_contact and follow_up.lead.id not in linked):
            outcomes.append(None)
            continue
        lead, lead_in = follow_up.lead, follow_up.prepared.lead_in
        outcome = LeadOutcome(
            lead=lead,
            agent=follow_up.prepared.route.agent,
            operation=UNCHANGED,
            qualification=follow_up.qualification,
            warnings=list(follow_up.prepared.warnings),
        )
        if follow_up.sends_other_external_id:
            _take_external_id(
                lead, lead_in.external_id, follow_up.received.credential, outcome.warnings
            )
        _known_to(session, outcome, follow_up.received)
        outcomes.append(outcome)
        if not follow_up.changes_lead:
            continue
        current = LeadStatus(lead.status)
        changes = _move(lead, lead_in.lead_status, outcome.warnings, now)
        values = follow_up.values
        if values and follow_up.qualification is None:
            outcome.qualification = qualifications.start(lead, values, changes)
            started.append(outcome.qualification)
        elif values and follow_up.qualification is not None:
            qualifications.merge(lead, follow_up.qualification, values, changes)
        if lead.id in linked:
            outcome.contact_operation = linked[lead.id]
        elif lead.contact_id is not None and outcome.qualification is not None and values:
            profiles[lead.contact_id] = qualifications.as_profile(outcome.qualification)
        lead.last_fingerprint = follow_up.digest
        lead.updated_at = now
        changed.append(lead)
        activity.append(_update_activity(lead, follow_up.received, current, changes, lead_in, now))
        outcome.operation = UPDATED
    repository.insert_qualifications(session, started)
    repository.update_lead_rows(session, changed)
    repository.set_search_profiles(session, profiles)
    repository.add_activity(session, *activity)
    return outcomes


def _link_contacts(session: Session, follow_ups: list[FollowUp]) -> dict[uuid.UUID, str]:
    """The contacts of the leads these requests contact, found or created together, with
    the search profile each lead's qualification will give: by lead ID, the contact
    operation of each lead linked."""
    profiles = {
        f.lead.id: qualifications.merged_profile(f.qualification, f.values)
        for f in follow_ups
        if f.qualification is not None or f.values
    }
    return contacts.link_together(session, [f.lead for f in follow_ups], profiles)


def _activity(
    lead: Lead | LeadRow,
    received: Received,
    kind: str,
    status_before: str | None,
    changes: dict[str, Any],
    message: str,
    now: datetime,
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "lead_id": lead.id,
        "credential_id": received.credential.id,
        "user_agent": received.user_agent,
        "kind": kind,
        "status_before": status_before,
        "status_after": lead.status,
        "message": message,
        "changes": changes,
        "payload": received.payload,
        "created_at": now,
    }
