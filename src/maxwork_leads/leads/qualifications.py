"""Creating and partially updating a lead's qualification."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from maxwork_leads.errors import ValidationFailed
from maxwork_leads.leads import repository
from maxwork_leads.leads.enums import Stage
from maxwork_leads.leads.lead_row import LeadRow
from maxwork_leads.models import Lead, Qualification

RANGES = (("price_min", "price_max"), ("room_min", "room_max"), ("area_min", "area_max"))
COLUMNS = {"listing_attributes": "attributes"}
# A contact's search profile: every field of the qualification it follows.
PROFILE = (
    *(name for pair in RANGES for name in pair),
    "lead_type",
    "business_type",
    "listing_class",
    "property_type",
    "attributes",
)


def apply(
    session: Session,
    lead: Lead,
    values: dict[str, Any],
    changes: dict[str, Any],
    qualification: Qualification | None,
) -> Qualification:
    """Set only the fields sent, check the merged ranges, and move the lead to Qualification.

    For a lead written earlier, with its qualification if it has one; a lead created by
    this request starts with `start`.
    """
    if qualification is None:
        qualification = start(lead, values, changes)
        repository.insert_qualification(session, qualification)
        return qualification
    merge(lead, qualification, values, changes)
    return qualification


def merge(
    lead: Lead | LeadRow,
    qualification: Qualification,
    values: dict[str, Any],
    changes: dict[str, Any],
) -> None:
    """An existing qualification updated with the fields sent, and the lead moved to
    Qualification. Raises ValidationFailed when the merged ranges do not hold (after
    changing the qualification: the caller's savepoint undoes it, or `holds` said first)."""
    _merge(qualification, values, changes)
    _to_stage(lead, changes)


def holds(qualification: Qualification | None, values: dict[str, Any]) -> bool:
    """Whether the ranges hold once `values` are merged in, changing nothing: for a
    caller that must not start a change that `merge` or `start` would refuse."""
    return _broken_range(_merged(qualification, values)) is None


def merged_profile(qualification: Qualification | None, values: dict[str, Any]) -> dict[str, Any]:
    """`as_profile` of the qualification once `values` are merged in, changing nothing."""
    fields = _merged(qualification, values)
    return {name: fields[name] for name in PROFILE if fields.get(name) is not None}


def _merged(qualification: Qualification | None, values: dict[str, Any]) -> dict[str, Any]:
    fields = {name: getattr(qualification, name) for name in PROFILE} if qualification else {}
    fields.update((COLUMNS.get(name, name), value) for name, value in values.items())
    return fields


def start(lead: LeadRow, values: dict[str, Any], changes: dict[str, Any]) -> Qualification:
    """A new lead's qualification, not yet written, and the lead moved to Qualification.

    Raises ValidationFailed, changing nothing, when the ranges sent do not hold.
    """
    qualification = Qualification(lead_id=lead.id)
    _merge(qualification, values, changes)
    _to_stage(lead, changes)
    return qualification


def _merge(qualification: Qualification, values: dict[str, Any], changes: dict[str, Any]) -> None:
    changed: dict[str, Any] = {}
    for name, value in values.items():
        column = COLUMNS.get(name, name)
        if getattr(qualification, column) != value:
            changed[name] = value
            setattr(qualification, column, value)
    _check_ranges(qualification)
    if changed:
        changes["qualification"] = changed


def _to_stage(lead: Lead | LeadRow, changes: dict[str, Any]) -> None:
    if lead.stage != Stage.QUALIFICATION.value:
        changes["stage"] = [lead.stage, Stage.QUALIFICATION.value]
        lead.stage = Stage.QUALIFICATION.value


def _check_ranges(qualification: Qualification) -> None:
    fields = {name: getattr(qualification, name) for pair in RANGES for name in pair}
    broken = _broken_range(fields)
    if broken is not None:
        low_name, high_name = broken
        low, high = fields[low_name], fields[high_name]
        raise ValidationFailed.on(high_name, f"must not be below the minimum ({high:g} < {low:g})")


def _broken_range(fields: dict[str, Any]) -> tuple[str, str] | None:
    """The first (minimum, maximum) pair whose minimum is above its maximum, if any."""
    for low_name, high_name in RANGES:
        low, high = fields.get(low_name), fields.get(high_name)
        if low is not None and high is not None and low > high:
            return low_name, high_name
    return None


def as_profile(qualification: Qualification) -> dict[str, Any]:
    return merged_profile(qualification, {})
