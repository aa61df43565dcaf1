"""Many leads in one transaction: each item judged alone, none able to fail the others."""

from __future__ import annotations

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
    """Apply items in order, each in its own savepoint, with every lock taken up front.

    Preparing every item first lets the batch take all its locks at once in ascending
    order, like a single request does, so concurrent batches cannot deadlock.
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
    results = []
    for index, item in enumerate(prepared):
        if isinstance(item, AppError):
            results.append(ItemResult(index, error=item))
            continue
        try:
            with session.begin_nested():
                outcome = service.apply(session, item, received[index])
        except AppError as exc:
            results.append(ItemResult(index, error=exc))
        else:
            results.append(ItemResult(index, outcome=outcome))
    return results
