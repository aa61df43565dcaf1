"""Turning what integrators type into stable keys: emails and phone numbers."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email

MIN_FALLBACK_DIGITS = 6


def normalize_email(raw: str) -> str:
    """Trimmed, syntax-checked and lower-cased, so that case never splits one person in two."""
    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None
    return result.normalized.lower()


@dataclass(frozen=True)
class Phone:
    raw: str
    key: str
    e164: str | None
    warning: str | None = None


@lru_cache(maxsize=4096)
def normalize_phone(raw: str, region: str) -> Phone:
    """E.164 when the number parses and is valid; else a digits-only key, never dropped.

    Cached: validation and the lead service both need it, and parsing is not cheap.

    Raises ValueError when there is too little of a number to keep (under six digits).
    """
    text = raw.strip()
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is not None and phonenumbers.is_valid_number(parsed):
        e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        return Phone(raw=text, key=e164, e164=e164)
    digits = "".join(ch for ch in text if ch.isdigit() and ch.isascii())
    if len(digits) < MIN_FALLBACK_DIGITS:
        raise ValueError("not a phone number: fewer than 6 digits")
    return Phone(
        raw=text,
        key=digits[:32],
        e164=None,
        warning=f"Sender_Phone {text!r} is not a valid number for region {region}; "
        "kept as digits only",
    )
