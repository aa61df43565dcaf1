"""Table-driven tests of the pure rules: enumerations, status order, fingerprints, IDs."""

from __future__ import annotations

import uuid

import pytest

from maxwork_leads.ids import new_id
from maxwork_leads.leads import enums
from maxwork_leads.leads.enums import LeadStatus
from maxwork_leads.leads.lifecycle import backwards_warning, next_status
from maxwork_leads.leads.matching import fingerprint, lock_id
from maxwork_leads.leads.parsing import parse_lead
from maxwork_leads.models.leads import ARCHIVED as ARCHIVED_TEXT
from maxwork_leads.models.leads import ARCHIVED_LEAD, OPEN_LEAD

NEW, CONTACTED, ARCHIVED = LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.ARCHIVED


@pytest.mark.parametrize(
    ("value", "name"),
    [(1, "Buyer"), ("2", "Seller"), ("buyer", "Buyer"), (" SELLER ", "Seller")],
)
def test_enumerations_accept_ids_and_names(value: object, name: str) -> None:
    assert enums.resolve(enums.LEAD_TYPES, value) == name


@pytest.mark.parametrize("value", [0, 3, "Renter", True, None, 1.0, "1.0"])
def test_unknown_enumeration_values_are_refused(value: object) -> None:
    with pytest.raises(ValueError, match="expected one of"):
        enums.resolve(enums.LEAD_TYPES, value)


def test_attribute_names_accept_spaces_for_underscores() -> None:
    assert enums.resolve(enums.LISTING_ATTRIBUTES, "swimming pool") == "Swimming_Pool"


@pytest.mark.parametrize(
    ("current", "requested", "result"),
    [
        (NEW, NEW, NEW),
        (NEW, CONTACTED, CONTACTED),
        (NEW, ARCHIVED, ARCHIVED),
        (CONTACTED, NEW, CONTACTED),
        (CONTACTED, ARCHIVED, ARCHIVED),
        (ARCHIVED, NEW, ARCHIVED),
        (ARCHIVED, CONTACTED, ARCHIVED),
    ],
)
def test_statuses_only_move_forward(
    current: LeadStatus, requested: LeadStatus, result: LeadStatus
) -> None:
    assert next_status(current, requested) is result
    assert (backwards_warning(current, requested) is not None) == (result is not requested)


def test_fingerprints_ignore_key_order_and_see_every_value() -> None:
    assert fingerprint({"a": 1, "b": "x"}) == fingerprint({"b": "x", "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})


def test_lock_ids_are_signed_64_bit_and_distinct() -> None:
    first, second = lock_id("lead", "a", "b"), lock_id("lead", "ab", "")
    assert first != second
    assert -(2**63) <= first < 2**63


def test_ids_are_time_ordered_uuid7() -> None:
    ids = [new_id() for _ in range(200)]
    assert all(isinstance(i, uuid.UUID) and i.version == 7 for i in ids)
    assert len(set(ids)) == 200
    assert [i.bytes[:6] for i in ids] == sorted(i.bytes[:6] for i in ids)


def test_the_partial_indexes_name_the_archived_status_as_the_enum_does() -> None:
    assert LeadStatus.ARCHIVED.value == ARCHIVED_TEXT
    assert f"'{ARCHIVED_TEXT}'" in str(OPEN_LEAD) and f"'{ARCHIVED_TEXT}'" in str(ARCHIVED_LEAD)


def test_a_request_digest_is_the_one_stored_by_earlier_versions() -> None:
    """Leads keep the digest of their last request to recognise an identical repeat: the
    same request must give the same digest in every version, or a repeat sent across an
    upgrade would count as a change. Its time and the phone as typed are not part of it."""
    body = {
        "Public_Reference": "REF-1",
        "Sender_Name": "Ana Silva",
        "Sender_Email": "Ana.Silva@Example.com",
        "Sender_Phone": "+351 912 345 678",
        "Message": "Is it still available?",
        "Lead_Status": "Contacted",
        "Price_Min": 100000,
        "Price_Max": 250000,
        "External_LeadId": "E-7",
        "Created_At": "2026-11-01T10:00:00Z",
    }
    expected = "c244be9fa2f46c1491571e9e51c18c7332ad6eecd22bfc7b18d838d7176ee9f5"
    lead = parse_lead(body, "PT")
    assert lead.digest(lead.phone("PT")) == expected
    later = parse_lead({**body, "Created_At": None, "Sender_Phone": "912345678"}, "PT")
    assert later.digest(later.phone("PT")) == expected
