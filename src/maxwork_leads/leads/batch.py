"""Many leads in one transaction: each item judged alone, none able to fail the others."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from maxwork_leads.errors import AppError
from maxwork_leads.leads import repository, service
from maxwork_leads.leads.schemas import LeadIn

MAX_ITEMS = 500


@dataclass(frozen=True)
class ItemResult:
    index: int
    outcome: service.LeadOutcome | None = None
    error: AppError | None = None


def ingest_batch(
    session: Session,
    items: list[LeadIn | AppError],
    received: list[service.Received],
    *,
    region: str,
) -> list[ItemResult]:
    """Apply items in order, with every lock taken up front.

    Preparing every item first lets the batch take all its locks at once in ascending
    order, like a single request does, so concurrent batches cannot deadlock. Items that
    touch nothing else in the batch, new leads and updates of open ones, are then written
    together (`write_independent`); every other item is applied alone, in order, in its
    own savepoint.
    """
    prepared: list[service.Prepared | AppError] = []
    for item in items:
        if isinstance(item, AppError):
            prepared.append(item)
            continue
        try:
            credential = received[len(prepared)].credential
            prepared.append(service.prepare(session, item, credential, region=region))
        except AppError as exc:
            prepared.append(exc)
    locks = (lock for p in prepared if not isinstance(p, AppError) for lock in p.locks())
    repository.lock_keys(session, locks)
    writable = [None if isinstance(p, AppError) else p for p in prepared]
    done = write_independent(session, writable, received)
    results = []
    for index, item in enumerate(prepared):
        if index in done:
            results.append(ItemResult(index, outcome=done[index]))
        elif isinstance(item, AppError):
            results.append(ItemResult(index, error=item))
        else:
            results.append(_apply_alone(session, index, item, received[index]))
    return results


def _apply_alone(
    session: Session, index: int, item: service.Prepared, received: service.Received
) -> ItemResult:
    try:
        with session.begin_nested():
            outcome = service.apply(session, item, received)
    except AppError as exc:
        return ItemResult(index, error=exc)
    return ItemResult(index, outcome=outcome)


def write_independent(
    session: Session,
    prepared: Sequence[service.Prepared | None],
    received: Sequence[service.Received | None],
    *,
    counted_only: Collection[int] = (),
) -> dict[int, service.LeadOutcome]:
    """The items that touch no other item, written together: their outcomes by index.

    `prepared` holds every item that may write (None for one that cannot: it failed before
    touching anything). An item is written here, unless it is `counted_only` (its keys
    still count), when no other item shares its lead, contact or External_LeadId, and the
    database (read under the caller's locks) says plainly which lead it is about:

    - none: no open lead for its person, none with its External_LeadId, and for an
      `Archived` request no archived lead either (`service.finds_archived`). Then it
      creates its lead (`service.create_together`);
    - its person's open lead, when the External_LeadId it sends, if any, is that lead's or
      no lead's yet. Then it updates that lead (`service.update_together`), which takes
      the ID if it has none, as `service.apply` would.

    Applying such an item alone, in order, would do exactly this, whatever the other items
    do; so the order of writing does not matter. Every other item (one whose
    External_LeadId names another lead, or that finds an archived lead) is left for the
    caller to apply.
    """
    valid = [
        (index, item, person)
        for index, (item, person) in enumerate(zip(prepared, received, strict=True))
        if item is not None and person is not None
    ]
    shared = Counter(key for _, item, person in valid for key in _keys(item, person))
    candidates = [
        (index, item, person)
        for index, item, person in valid
        if index not in counted_only and all(shared[key] == 1 for key in _keys(item, person))
    ]
    if len(candidates) < 2:
        return {}
    open_leads = repository.open_lead_ids(session, [item.key for _, item, _ in candidates])
    archiving = {
        index: item.key
        for index, item, _ in candidates
        if item.key not in open_leads and service.finds_archived(item)
    }
    archived = repository.archived_lead_keys(session, list(archiving.values()))
    used = _leads_by_external_id(session, [(item, person) for _, item, person in candidates])
    fresh: list[tuple[int, service.Prepared, service.Received]] = []
    following: list[tuple[int, service.Prepared, service.Received, uuid.UUID]] = []
    for index, item, person in candidates:
        external = (person.credential.id, item.lead_in.external_id)
        lead_id = open_leads.get(item.key)
        if lead_id is None and archiving.get(index) not in archived and external not in used:
            fresh.append((index, item, person))
        elif lead_id is not None and used.get(external) in (None, lead_id):
            following.append((index, item, person, lead_id))
    created = service.create_together(session, [(item, person) for _, item, person in fresh])
    updated = service.update_together(
        session, [(item, person, lead_id) for _, item, person, lead_id in following]
    )
    written = zip(
        [index for index, *_ in fresh] + [index for index, *_ in following],
        created + updated,
        strict=True,
    )
    return {index: outcome for index, outcome in written if outcome is not None}


def _leads_by_external_id(
    session: Session, items: list[tuple[service.Prepared, service.Received]]
) -> dict[tuple[uuid.UUID, str], uuid.UUID]:
    """The leads of the (credential ID, External_LeadId) pairs already used, by pair:
    one query per credential."""
    wanted: dict[uuid.UUID, list[str]] = defaultdict(list)
    for item, person in items:
        if item.lead_in.external_id is not None:
            wanted[person.credential.id].append(item.lead_in.external_id)
    return {
        (credential_id, external_id): lead_id
        for credential_id, external_ids in wanted.items()
        for external_id, lead_id in repository.leads_by_external_ids(
            session, credential_id, external_ids
        ).items()
    }


def _keys(item: service.Prepared, person: service.Received) -> list[object]:
    """What makes two items depend on each other: the same lead, contact or ID."""
    key = item.key
    keys: list[object] = [key, ("contact", key.agent_id, key.phone_key, key.email)]
    if item.lead_in.external_id is not None:
        keys.append(("external", person.credential.id, item.lead_in.external_id))
    return keys
