"""Status rules: statuses only move forward, and archived leads stay closed."""

from __future__ import annotations

from maxwork_leads.leads.enums import LeadStatus

ORDER = {LeadStatus.NEW: 0, LeadStatus.CONTACTED: 1, LeadStatus.ARCHIVED: 2}


def next_status(current: LeadStatus, requested: LeadStatus) -> LeadStatus:
    """The status a lead ends in: the requested one, unless that would move it backwards."""
    return requested if ORDER[requested] > ORDER[current] else current


def backwards_warning(current: LeadStatus, requested: LeadStatus) -> str | None:
    if ORDER[requested] < ORDER[current]:
        return (
            f"Lead_Status {requested.value} ignored: the lead is already {current.value} "
            "and a status never moves backwards"
        )
    return None
