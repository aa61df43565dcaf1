"""Idempotency-Key: a retried request gets the first response instead of a second effect.

The key row is inserted and completed in the request's own transaction, so another process
either waits on the unique index until the first commits (and then replays), or takes the key
over when the first rolled back. A half-done key is never visible.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy.orm import Session

from maxwork_leads.errors import AppError, Conflict
from maxwork_leads.integration import repository
from maxwork_leads.leads.repository import insert
from maxwork_leads.models import IdempotencyKey
from maxwork_leads.models.base import utcnow

KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")


class InvalidIdempotencyKey(AppError):
    code = "invalid_idempotency_key"
    status = 400


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: Any


def check_key(key: str) -> str:
    if not KEY_PATTERN.match(key):
        raise InvalidIdempotencyKey("Idempotency-Key must be 1 to 255 visible ASCII characters")
    return key


def request_hash(endpoint: str, body: Any) -> str:
    canonical = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(endpoint.encode() + b"\n" + canonical).hexdigest()


def claim(
    session: Session,
    *,
    credential_id: uuid.UUID,
    key: str,
    endpoint: str,
    body: Any,
    ttl: timedelta,
) -> tuple[IdempotencyKey, StoredResponse | None]:
    """Own the key for this request, or return the response stored under it.

    Raises IdempotencyKeyReused when the key came with another body or endpoint.
    """
    digest = request_hash(endpoint, body)
    row = IdempotencyKey(
        id=uuid.uuid4(),
        credential_id=credential_id,
        key=key,
        endpoint=endpoint,
        request_hash=digest,
    )
    if insert(session, row):
        return row, None
    existing = repository.idempotency_key(session, credential_id, key)
    if existing is None:
        raise Conflict("the Idempotency-Key changed while it was being saved; please retry")
    if existing.created_at < utcnow() - ttl or existing.status_code is None:
        existing.endpoint, existing.request_hash = endpoint, digest
        existing.status_code, existing.response_body = None, None
        existing.created_at = utcnow()
        return existing, None
    if existing.request_hash != digest:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was used with a different request; use a new key"
        )
    return existing, StoredResponse(
        existing.status_code, orjson.loads(existing.response_body or "null")
    )


def complete(session: Session, row: IdempotencyKey, status: int, body: Any) -> None:
    row.status_code = status
    row.response_body = orjson.dumps(body).decode()
    session.flush()
