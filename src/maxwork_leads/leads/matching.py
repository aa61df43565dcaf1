"""Identity rules: which lead and which contact a request is about."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

MANUAL_LISTING_KEY = "manual"


@dataclass(frozen=True)
class NaturalKey:
    """One open lead at most per agent + listing (or manual) + phone + email."""

    agent_id: uuid.UUID
    listing_key: str
    phone_key: str
    email: str

    def lock_id(self) -> int:
        return lock_id("lead", str(self.agent_id), self.listing_key, self.phone_key, self.email)


@dataclass(frozen=True)
class ContactKey:
    """One contact per agent + normalised phone + normalised email."""

    agent_id: uuid.UUID
    phone_key: str
    email: str

    def lock_id(self) -> int:
        return lock_id("contact", str(self.agent_id), self.phone_key, self.email)


def listing_key(listing_id: uuid.UUID | None) -> str:
    return str(listing_id) if listing_id is not None else MANUAL_LISTING_KEY


def lock_id(*parts: str) -> int:
    """A signed 64-bit number naming a key, for a database advisory lock."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def fingerprint(values: dict[str, Any]) -> str:
    """A stable digest of a request's meaning, so an identical repeat is recognised."""
    encoded = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()
