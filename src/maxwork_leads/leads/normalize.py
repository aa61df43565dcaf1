"""Turning what integrators type into stable keys: emails and phone numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import DOT_ATOM_TEXT

MIN_FALLBACK_DIGITS = 6
MAX_EMAIL_LENGTH = 254  # email-validator's limit on a whole address (RFC 3696 errata)
HOSTNAME = re.compile(r"[A-Za-z0-9.-]+\Z")


def normalize_email(raw: str) -> str:
    """Trimmed, syntax-checked and lower-cased, so that case never splits one person in two.

    Checking the domain is most of email-validator's work on an address (IDNA, label
    rules, special-use names), and leads come from a few thousand domains at most. So an
    address whose local part is a plain dot-atom (the library's own first and fastest
    test) and whose domain is plain ASCII is answered from that domain's cached verdict:
    email-validator then normalises it to exactly these two parts joined. Anything else,
    and any domain not known to be good, goes through the whole validation.
    """
    text = raw.strip()
    local, at, domain = text.rpartition("@")
    if at and DOT_ATOM_TEXT.match(local) and HOSTNAME.match(domain):
        normalized_domain = _good_domain(domain)
        if normalized_domain is not None:
            address = f"{local}@{normalized_domain}"
            if len(address) <= MAX_EMAIL_LENGTH:
                return address.lower()
    return _validated(text)


def _validated(text: str) -> str:
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None
    return result.normalized.lower()


@lru_cache(maxsize=4096)
def _good_domain(domain: str) -> str | None:
    """The domain as email-validator normalises it, or None when it refuses the domain."""
    try:
        return validate_email(f"a@{domain}", check_deliverability=False).domain
    except EmailNotValidError:
        return None


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
