"""A JSON lead body turned into a `LeadIn`, or the 422 that names each bad field.

Apart from the schema it imports nothing heavy, so that the helper processes that
validate large batches (`api.parse_pool`) stay small.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from maxwork_leads.errors import AppError, FieldError, ValidationFailed
from maxwork_leads.leads.schemas import LeadIn


def parse_lead(body: Any, region: str) -> LeadIn:
    """The validated lead, or ValidationFailed naming each bad field."""
    if not isinstance(body, dict):
        raise ValidationFailed.on("body", "must be a JSON object")
    try:
        return LeadIn.model_validate(body, context={"region": region})
    except ValidationError as exc:
        raise validation_failed(exc.errors()) from None


def parse_each(items: Sequence[Any], region: str) -> list[LeadIn | AppError]:
    """Each item parsed alone: a bad one is its error, never the others'."""
    parsed: list[LeadIn | AppError] = []
    for item in items:
        try:
            parsed.append(parse_lead(item, region))
        except AppError as exc:
            parsed.append(exc)
    return parsed


def parse_digested(items: Sequence[Any], region: str) -> list[LeadIn | AppError]:
    """`parse_each`, with each lead's digest computed too (`LeadIn.digest`): what the
    helper processes of a large batch run (`api.parse_pool`), beside the server process."""
    parsed = parse_each(items, region)
    for lead in parsed:
        if isinstance(lead, LeadIn):
            lead.digest(lead.phone(region))
    return parsed


def validation_failed(errors: Sequence[Any]) -> ValidationFailed:
    """Pydantic's errors, one per field, named as the integrator spelled the field."""
    fields = [FieldError(_location(err["loc"]), _message(err)) for err in errors]
    summary = "; ".join(f"{f.field}: {f.message}" for f in fields[:5])
    return ValidationFailed(f"invalid fields: {summary}", fields)


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "header", "path")]
    return ".".join(parts) or "body"


def _message(err: Any) -> str:
    message = str(err.get("msg", "invalid"))
    return message.removeprefix("Value error, ")
