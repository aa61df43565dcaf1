"""The published enumeration tables: IDs and canonical names an integrator may send."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class LeadStatus(StrEnum):
    """Where a lead is: `New` (an enquiry), `Contacted` (the agent got in touch), `Archived`."""

    NEW = "New"
    CONTACTED = "Contacted"
    ARCHIVED = "Archived"


class Stage(StrEnum):
    """`Lead` until what the person is looking for is known, then `Qualification`."""

    LEAD = "Lead"
    QUALIFICATION = "Qualification"


LEAD_TYPES: Mapping[int, str] = {1: "Buyer", 2: "Seller"}
BUSINESS_TYPES: Mapping[int, str] = {1: "Sale", 2: "Rent"}
LISTING_CLASSES: Mapping[int, str] = {1: "Residential", 2: "Commercial"}
PROPERTY_TYPES: Mapping[int, str] = {
    1: "Apartment",
    2: "House",
    3: "Land",
    4: "Office",
    5: "Shop",
    6: "Warehouse",
    7: "Garage",
    8: "Building",
    9: "Farm",
    10: "Room",
}
LISTING_ATTRIBUTES: Mapping[int, str] = {
    0: "Parking_Space",
    1: "Lift",
    5: "Balcony",
    7: "Swimming_Pool",
    8: "Terrace",
    9: "Garden_Area",
    11: "Storage",
    51: "Air_Conditioning",
}

ENUMERATIONS: Mapping[str, Mapping[int, str]] = {
    "LeadType_Id": LEAD_TYPES,
    "Business_TypeId": BUSINESS_TYPES,
    "Listing_ClassId": LISTING_CLASSES,
    "PropertyType_Id": PROPERTY_TYPES,
    "Listing_Attributes": LISTING_ATTRIBUTES,
}


def describe(table: Mapping[int, str]) -> str:
    """`1 = Buyer, 2 = Seller`: the table as the API documentation shows it."""
    return ", ".join(f"{key} = {name}" for key, name in table.items())


def names(table: Mapping[int, str]) -> str:
    """`Buyer, Seller`: the canonical names, as answers show them."""
    return ", ".join(table.values())


def resolve(table: Mapping[int, str], value: object) -> str:
    """The canonical name for an ID (int or digit string) or a name in any letter case.

    Raises ValueError naming the accepted values, for a 422 the integrator can act on.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected one of {describe(table)}")
    if isinstance(value, int) and value in table:
        return table[value]
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit() and int(text) in table:
            return table[int(text)]
        folded = text.casefold().replace(" ", "_")
        for name in table.values():
            if name.casefold() == folded:
                return name
    raise ValueError(f"unknown value {value!r}; expected one of {describe(table)}")
