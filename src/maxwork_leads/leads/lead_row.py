"""A lead as a plain row: one about to be created, or one read to be updated in a group.

A new lead is built whole, written with one INSERT and never changed again in the
request that creates it, so nothing in it needs the ORM's change tracking. Building an
instrumented `Lead` cost more than a third of what its multi-row INSERT did (py-spy,
batch of 500). Requests about existing leads that are written together read their leads
the same way, change them in place and write them back with one UPDATE: loading,
tracking and flushing ORM objects one request at a time cost several times what the
statements did. The attribute names are `Lead`'s, so the lifecycle, the answer and the
history read either kind the same way.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass
class LeadRow:
    """Every column of the `leads` row but `change_seq`, which the writing statement sets."""

    id: uuid.UUID
    agency_id: uuid.UUID
    agent_id: uuid.UUID
    listing_id: uuid.UUID | None
    listing_key: str
    public_reference: str
    credential_id: uuid.UUID
    external_id: str | None
    status: str
    stage: str
    routing_reason: str
    sender_name: str
    email: str
    phone_raw: str
    phone_key: str
    phone_e164: str | None
    message: str
    last_fingerprint: str
    enquired_at: datetime
    contacted_at: datetime | None
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime
    contact_id: uuid.UUID | None = None
