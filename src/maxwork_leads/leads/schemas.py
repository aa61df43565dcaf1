"""What crosses the wire for leads: the request body and the response, with the seed's names.

Wire names (`Sender_Email`) live here only; the rest of the code uses snake_case.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from maxwork_leads.leads import enums
from maxwork_leads.leads.enums import LeadStatus, Stage
from maxwork_leads.leads.normalize import normalize_email, normalize_phone

MANUAL_REFERENCE = "None"
CLOCK_SKEW = timedelta(minutes=5)


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain the NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (no lone surrogates)") from None
    return value


def _status(value: object) -> object:
    if isinstance(value, str):
        for status in LeadStatus:
            if status.value.casefold() == value.strip().casefold():
                return status
    return value


def _enum(table: dict[int, str] | Any) -> BeforeValidator:
    return BeforeValidator(lambda value: enums.resolve(table, value))


def _attributes(value: object) -> list[str]:
    if not isinstance(value, list):
        raise ValueError("must be a list of attribute IDs or names")
    names: list[str] = []
    for item in value:
        name = enums.resolve(enums.LISTING_ATTRIBUTES, item)
        if name not in names:
            names.append(name)
    return names


Text = Annotated[str, AfterValidator(_no_nul)]
Trimmed = Annotated[str, AfterValidator(_no_nul), AfterValidator(str.strip)]
Amount = Annotated[float, Field(ge=0, allow_inf_nan=False, le=1e13)]
Count = Annotated[int, Field(ge=0, le=10_000)]

QUALIFICATION_FIELDS = (
    "price_min",
    "price_max",
    "room_min",
    "room_max",
    "area_min",
    "area_max",
    "lead_type",
    "business_type",
    "listing_class",
    "property_type",
    "listing_attributes",
)


class LeadIn(BaseModel):
    """A lead as integrators send it to `POST /listingexport/leads`."""

    model_config = ConfigDict(extra="allow", populate_by_name=False)

    public_reference: Trimmed = Field(
        alias="Public_Reference",
        min_length=1,
        max_length=100,
        description='The listing\'s public reference, or "None" for a manual lead.',
        examples=["129991025-5"],
    )
    sender_name: Trimmed = Field(
        alias="Sender_Name", min_length=1, max_length=200, examples=["Ana Silva"]
    )
    sender_email: Annotated[Text, AfterValidator(normalize_email)] = Field(
        alias="Sender_Email",
        max_length=254,
        description="Trimmed, syntax-checked and lower-cased.",
        examples=["ana.silva@example.com"],
    )
    sender_phone: Text = Field(
        alias="Sender_Phone",
        min_length=1,
        max_length=64,
        description="Any common writing; numbers without a country code are read in the "
        "default region (PT).",
        examples=["+351 912 345 678"],
    )
    message: Text = Field(alias="Message", max_length=10_000, examples=["Is it still available?"])
    lead_status: Annotated[LeadStatus, BeforeValidator(_status)] = Field(
        alias="Lead_Status",
        description="New, Contacted or Archived (any letter case).",
        examples=["New"],
    )
    internal_user_id: uuid.UUID | None = Field(
        None,
        alias="Internal_UserId",
        description="Route the lead to this user instead of the listing's agent.",
    )
    price_min: Amount | None = Field(None, alias="Price_Min", examples=[150000])
    price_max: Amount | None = Field(None, alias="Price_Max", examples=[250000])
    room_min: Count | None = Field(None, alias="Room_Min", examples=[2])
    room_max: Count | None = Field(None, alias="Room_Max", examples=[3])
    area_min: Amount | None = Field(None, alias="Area_Min", description="Square metres.")
    area_max: Amount | None = Field(None, alias="Area_Max", description="Square metres.")
    lead_type: Annotated[str, _enum(enums.LEAD_TYPES)] | None = Field(
        None, alias="LeadType_Id", description=enums.describe(enums.LEAD_TYPES)
    )
    business_type: Annotated[str, _enum(enums.BUSINESS_TYPES)] | None = Field(
        None, alias="Business_TypeId", description=enums.describe(enums.BUSINESS_TYPES)
    )
    listing_class: Annotated[str, _enum(enums.LISTING_CLASSES)] | None = Field(
        None, alias="Listing_ClassId", description=enums.describe(enums.LISTING_CLASSES)
    )
    property_type: Annotated[str, _enum(enums.PROPERTY_TYPES)] | None = Field(
        None, alias="PropertyType_Id", description=enums.describe(enums.PROPERTY_TYPES)
    )
    listing_attributes: Annotated[list[str], BeforeValidator(_attributes)] | None = Field(
        None,
        alias="Listing_Attributes",
        description="Attribute IDs or names: " + enums.describe(enums.LISTING_ATTRIBUTES),
    )
    external_id: Text | None = Field(
        None,
        alias="External_LeadId",
        min_length=1,
        max_length=200,
        description="The integrator's own ID for the lead; unique per integrator.",
    )
    created_at: datetime | None = Field(
        None,
        alias="Created_At",
        description="ISO 8601; when the lead was really created (for back-filled history).",
    )

    @field_validator("created_at")
    @classmethod
    def _not_in_future(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        if value > datetime.now(UTC) + CLOCK_SKEW:
            raise ValueError("must not be in the future")
        return value.astimezone(UTC)

    @field_validator("sender_phone")
    @classmethod
    def _phone_parses(cls, value: str, info: ValidationInfo) -> str:
        region = (info.context or {}).get("region", "PT")
        normalize_phone(value, region)
        return value

    @property
    def is_manual(self) -> bool:
        return self.public_reference.casefold() == MANUAL_REFERENCE.casefold()

    def qualification_values(self) -> dict[str, Any]:
        """Only the qualification fields this request carries, so updates stay partial."""
        return {
            name: getattr(self, name)
            for name in QUALIFICATION_FIELDS
            if name in self.model_fields_set and getattr(self, name) is not None
        }

    def unknown_fields(self) -> list[str]:
        return sorted((self.model_extra or {}).keys())


WIRE_NAMES: dict[str, str] = {
    name: field.alias or name for name, field in LeadIn.model_fields.items()
}


class AgentOut(BaseModel):
    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    id: uuid.UUID = Field(alias="Id")
    username: str = Field(alias="Username")


class LeadOut(BaseModel):
    """What the endpoint answers about the lead a request created or touched."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    lead_id: uuid.UUID = Field(alias="Lead_Id")
    external_id: str | None = Field(alias="External_LeadId")
    lead_status: LeadStatus = Field(alias="Lead_Status")
    stage: Stage = Field(alias="Stage")
    contact_id: uuid.UUID | None = Field(alias="Contact_Id")
    qualification_id: uuid.UUID | None = Field(alias="Qualification_Id")
    agent: AgentOut = Field(alias="Agent")
    public_reference: str = Field(alias="Public_Reference")
    operation: str = Field(
        alias="Operation", description="created, updated or unchanged", examples=["created"]
    )
    contact_operation: str | None = Field(
        alias="Contact_Operation", description="created, matched or null"
    )
    warnings: list[str] = Field(alias="Warnings")


class ContactOut(BaseModel):
    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    id: uuid.UUID = Field(alias="Id")
    name: str = Field(alias="Name")
    email: str = Field(alias="Email")
    phone: str = Field(alias="Phone", description="E.164, or digits only when unparseable.")
    created_at: datetime = Field(alias="Created_At")


class QualificationOut(BaseModel):
    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    id: uuid.UUID = Field(alias="Id")
    price_min: float | None = Field(alias="Price_Min")
    price_max: float | None = Field(alias="Price_Max")
    room_min: int | None = Field(alias="Room_Min")
    room_max: int | None = Field(alias="Room_Max")
    area_min: float | None = Field(alias="Area_Min")
    area_max: float | None = Field(alias="Area_Max")
    lead_type: str | None = Field(alias="LeadType_Id", description="Canonical name.")
    business_type: str | None = Field(alias="Business_TypeId", description="Canonical name.")
    listing_class: str | None = Field(alias="Listing_ClassId", description="Canonical name.")
    property_type: str | None = Field(alias="PropertyType_Id", description="Canonical name.")
    attributes: list[str] | None = Field(alias="Listing_Attributes")


class LeadView(BaseModel):
    """A lead as the lookups and the change feed show it."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    lead_id: uuid.UUID = Field(alias="Lead_Id")
    external_id: str | None = Field(alias="External_LeadId")
    lead_status: LeadStatus = Field(alias="Lead_Status")
    stage: Stage = Field(alias="Stage")
    contact_id: uuid.UUID | None = Field(alias="Contact_Id")
    qualification_id: uuid.UUID | None = Field(alias="Qualification_Id")
    agent: AgentOut = Field(alias="Agent")
    public_reference: str = Field(alias="Public_Reference")
    sender_name: str = Field(alias="Sender_Name")
    sender_email: str = Field(alias="Sender_Email")
    sender_phone: str = Field(alias="Sender_Phone", description="As it was sent.")
    message: str = Field(alias="Message", description="The first enquiry's message.")
    created_at: datetime = Field(alias="Created_At", description="When the enquiry was made.")
    updated_at: datetime = Field(alias="Updated_At")
    contact: ContactOut | None = Field(alias="Contact")
    qualification: QualificationOut | None = Field(alias="Qualification")


class LeadPage(BaseModel):
    """One page of the change feed."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    leads: list[LeadView] = Field(alias="Leads")
    next_cursor: str = Field(
        alias="Next_Cursor",
        description="Pass it as `cursor` to continue; also when Has_More is false, to poll "
        "for later changes.",
    )
    has_more: bool = Field(alias="Has_More")
