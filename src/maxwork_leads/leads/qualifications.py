"""Creating and partially updating a lead's qualification."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from maxwork_leads.errors import ValidationFailed
from maxwork_leads.leads import repository
from maxwork_leads.leads.enums import Stage
from maxwork_leads.leads.new_lead import NewLead
from maxwork_leads.models import Lead, Qualification

RANGES = (("price_min", "price_max"), ("room_min", "room_max"), ("area_min", "area_max"))
COLUMNS = {"listing_attributes": "attributes"}


def apply(
    session: Session,
    lead: Lead,
    values: dict[str, Any],
    changes: dict[str, Any],
) -> Qualification:
    """Set only the fields sent, check the merged ranges, and move the lead to Qualification.

    For a lead written earlier; a lead created by this request starts with `start`.
    """
    qualification = repository.qualification_for(session, lead.id)
    if qualification is None:
        qualification = start(lead, values, changes)
        repository.insert_qualification(session, qualification)
        return qualification
    _merge(qualification, values, changes)
    _to_stage(lead, changes)
    return qualification


def start(lead: NewLead, values: dict[str, Any], changes: dict[str, Any]) -> Qualification:
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


def _to_stage(lead: Lead | NewLead, changes: dict[str, Any]) -> None:
    if lead.stage != Stage.QUALIFICATION.value:
        changes["stage"] = [lead.stage, Stage.QUALIFICATION.value]
        lead.stage = Stage.QUALIFICATION.value


def _check_ranges(qualification: Qualification) -> None:
    for low_name, high_name in RANGES:
        low, high = getattr(qualification, low_name), getattr(qualification, high_name)
        if low is not None and high is not None and low > high:
            raise ValidationFailed.on(
                high_name, f"must not be below the minimum ({high:g} < {low:g})"
            )


def as_profile(qualification: Qualification) -> dict[str, Any]:
    names = [n for pair in RANGES for n in pair]
    names += ["lead_type", "business_type", "listing_class", "property_type", "attributes"]
    return {
        name: getattr(qualification, name)
        for name in names
        if getattr(qualification, name) is not None
    }
