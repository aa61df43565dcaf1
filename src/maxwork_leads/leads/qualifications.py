"""Creating and partially updating a lead's qualification."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from maxwork_leads.errors import ValidationFailed
from maxwork_leads.leads import repository
from maxwork_leads.leads.enums import Stage
from maxwork_leads.models import Lead, Qualification

RANGES = (("price_min", "price_max"), ("room_min", "room_max"), ("area_min", "area_max"))
COLUMNS = {"listing_attributes": "attributes"}


def apply(
    session: Session,
    lead: Lead,
    values: dict[str, Any],
    changes: dict[str, Any],
    *,
    new: bool = False,
) -> Qualification:
    """Set only the fields sent, check the merged ranges, and move the lead to Qualification.

    `new`: the lead was created by this request, so it cannot have a qualification yet.
    """
    qualification = None if new else repository.qualification_for(session, lead.id)
    is_new = qualification is None
    if qualification is None:
        qualification = Qualification(lead_id=lead.id)
    changed: dict[str, Any] = {}
    for name, value in values.items():
        column = COLUMNS.get(name, name)
        if getattr(qualification, column) != value:
            changed[name] = value
            setattr(qualification, column, value)
    _check_ranges(qualification)
    if is_new:
        repository.insert_qualification(session, qualification)
    if changed:
        changes["qualification"] = changed
    if lead.stage != Stage.QUALIFICATION.value:
        changes["stage"] = [lead.stage, Stage.QUALIFICATION.value]
        lead.stage = Stage.QUALIFICATION.value
    return qualification


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
