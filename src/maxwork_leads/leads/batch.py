"""Many leads in one transaction: each item judged alone, none able to fail the others."""

from __future__ import annotations

from collections import Counter
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
    order, like a single request does, so concurrent batches cannot deadlock. New leads
    that touch nothing else in the batch or the database are then written together
    (`_create_together`); every other item is applied alone, in order, in its own savepoint.
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
    locks = [lock for p in prepared if not isinstance(p, AppError) for lock in p.locks]
    repository.lock_keys(session, locks)
    done = _create_together(session, prepared, received)
    results = []
    for index, item in enumerate(prepared):
        if index in done:
            results.append(done[index])
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


def _create_together(
    session: Session, prepared: list[service.Prepared | AppError], received: list[service.Received]
) -> dict[int, ItemResult]:
    """The items that only create a lead, written with one INSERT: their results by index.

    An item qualifies when `service.creates_alone` accepts it, no other item of the batch
    shares its lead, contact or External_LeadId, and the database (read under the batch's
    locks) has no lead for it yet. Then applying it alone, in order, would create exactly
    this lead, whatever the other items do; so the order of writing does not matter.
    """
    valid = [(i, p) for i, p in enumerate(prepared) if not isinstance(p, AppError)]
    shared = Counter(key for _, p in valid for key in _keys(p))
    candidates = [
        (index, item)
        for index, item in valid
        if service.creates_alone(item) and all(shared[k] == 1 for k in _keys(item))
    ]
    if len(candidates) < 2:
        return {}
    taken = repository.open_lead_keys(session, [item.key for _, item in candidates])
    external = [item.lead_in.external_id for _, item in candidates if item.lead_in.external_id]
    used = repository.existing_external_ids(session, received[0].credential.id, external)
    fresh = [
        (index, item)
        for index, item in candidates
        if item.key not in taken and item.lead_in.external_id not in used
    ]
    outcomes = service.create_together(session, [(item, received[i]) for i, item in fresh])
    return {
        index: ItemResult(index, outcome=outcome)
        for (index, _), outcome in zip(fresh, outcomes, strict=True)
        if outcome is not None
    }


def _keys(item: service.Prepared) -> list[object]:
    """What makes two items of a batch depend on each other: the same lead, contact or ID."""
    key = item.key
    keys: list[object] = [key, ("contact", key.agent_id, key.phone_key, key.email)]
    if item.lead_in.external_id is not None:
        keys.append(("external", item.lead_in.external_id))
    return keys
