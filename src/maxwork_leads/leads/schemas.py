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
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from maxwork_leads import wire_examples as wire
from maxwork_leads.leads import enums
from maxwork_leads.leads.enums import LeadStatus, Stage
from maxwork_leads.leads.matching import fingerprint
from maxwork_leads.leads.normalize import Phone, normalize_email, normalize_phone

MANUAL_REFERENCE = "None"
CLOCK_SKEW = timedelta(minutes=5)


def _region(info: ValidationInfo) -> str:
    return (info.context or {}).get("region", "PT")  # type: ignore[no-any-return]


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain the NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (no lone surrogates)") from None
    return value


_STATUSES = {status.value.casefold(): status for status in LeadStatus}


def _status(value: object) -> object:
    """Any letter case; anything else is left for the enum to refuse with its message."""
    if isinstance(value, str):
        return _STATUSES.get(value.strip().casefold(), value)
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


def _not_bool(value: object) -> object:
    # JSON true/false is never a number, though Python would read it as 1/0.
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    return value


Amount = Annotated[float, BeforeValidator(_not_bool), Field(ge=0, allow_inf_nan=False, le=1e13)]
Count = Annotated[int, BeforeValidator(_not_bool), Field(ge=0, le=10_000)]

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
        description="The public reference of the listing the enquiry is about, as the portal "
        'shows it; "None" for a manual lead with no listing.',
        examples=["129991025-5"],
    )
    sender_name: Trimmed = Field(
        alias="Sender_Name",
        min_length=1,
        max_length=200,
        description="The name of the person who made the enquiry.",
        examples=["Ana Silva"],
    )
    sender_email: Annotated[Text, AfterValidator(normalize_email)] = Field(
        alias="Sender_Email",
        max_length=254,
        description="The enquirer's email address; trimmed, syntax-checked and lower-cased.",
        examples=["ana.silva@example.com"],
    )
    sender_phone: Text = Field(
        alias="Sender_Phone",
        min_length=1,
        max_length=64,
        description="The enquirer's phone number, in any common writing; numbers without a "
        "country code are read in the default region (PT).",
        examples=["+351 912 345 678"],
    )
    message: Text = Field(
        alias="Message",
        max_length=10_000,
        description="What the person wrote, or a note about this step (e.g. a call back).",
        examples=["Is the flat still available?"],
    )
    lead_status: Annotated[LeadStatus, BeforeValidator(_status)] = Field(
        alias="Lead_Status",
        description="`New` for an enquiry, `Contacted` once the agent got in touch, `Archived` "
        "to close the lead (any letter case). A status never moves backwards.",
        examples=["New"],
    )
    internal_user_id: uuid.UUID | None = Field(
        None,
        alias="Internal_UserId",
        description="Give the lead to this user (our ID) instead of the listing's agent; the "
        "user must work for the listing's agency.",
        examples=[wire.AGENT_ID],
    )
    price_min: Amount | None = Field(
        None,
        alias="Price_Min",
        description="The lowest price the person is interested in.",
        examples=[150000],
    )
    price_max: Amount | None = Field(
        None,
        alias="Price_Max",
        description="The highest price the person is interested in.",
        examples=[250000],
    )
    room_min: Count | None = Field(
        None, alias="Room_Min", description="The fewest rooms the person wants.", examples=[2]
    )
    room_max: Count | None = Field(
        None, alias="Room_Max", description="The most rooms the person wants.", examples=[3]
    )
    area_min: Amount | None = Field(
        None,
        alias="Area_Min",
        description="The smallest area the person wants, in square metres.",
        examples=[70],
    )
    area_max: Amount | None = Field(
        None,
        alias="Area_Max",
        description="The largest area the person wants, in square metres.",
        examples=[120],
    )
    lead_type: Annotated[str, _enum(enums.LEAD_TYPES)] | None = Field(
        None,
        alias="LeadType_Id",
        description="Whether the person buys or sells, by ID or name: "
        + enums.describe(enums.LEAD_TYPES),
        examples=["Buyer"],
    )
    business_type: Annotated[str, _enum(enums.BUSINESS_TYPES)] | None = Field(
        None,
        alias="Business_TypeId",
        description="Whether the deal is a sale or a rental, by ID or name: "
        + enums.describe(enums.BUSINESS_TYPES),
        examples=["Sale"],
    )
    listing_class: Annotated[str, _enum(enums.LISTING_CLASSES)] | None = Field(
        None,
        alias="Listing_ClassId",
        description="The class of property, by ID or name: "
        + enums.describe(enums.LISTING_CLASSES),
        examples=["Residential"],
    )
    property_type: Annotated[str, _enum(enums.PROPERTY_TYPES)] | None = Field(
        None,
        alias="PropertyType_Id",
        description="The type of property, by ID or name: " + enums.describe(enums.PROPERTY_TYPES),
        examples=["Apartment"],
    )
    listing_attributes: Annotated[list[str], BeforeValidator(_attributes)] | None = Field(
        None,
        alias="Listing_Attributes",
        description="Features the person wants, as attribute IDs or names: "
        + enums.describe(enums.LISTING_ATTRIBUTES),
        examples=[["Lift", "Balcony"]],
    )
    external_id: Text | None = Field(
        None,
        alias="External_LeadId",
        min_length=1,
        max_length=200,
        description="Your own ID for the lead, unique per credential; read the lead back with it.",
        examples=["CRM-000123"],
    )
    created_at: datetime | None = Field(
        None,
        alias="Created_At",
        description="When the enquiry was really made, for back-filled history; ISO 8601, "
        "not in the future. Defaults to when the request arrives.",
        examples=[wire.ENQUIRED_AT],
    )

    @field_validator("created_at", mode="before")
    @classmethod
    def _iso_text(cls, value: object) -> object:
        # A bare number would be read as a Unix timestamp; the wire format is ISO 8601 text.
        if value is not None and not isinstance(value, str):
            raise ValueError("must be an ISO 8601 date and time, as text")
        return value

    @field_validator("created_at")
    @classmethod
    def _not_in_future(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if not 1900 <= value.year <= 9998:
            raise ValueError("must be a date between the years 1900 and 9998")
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        if value > datetime.now(UTC) + CLOCK_SKEW:
            raise ValueError("must not be in the future")
        return value.astimezone(UTC)

    # The sender's phone as validation read it, with the region it was read for.
    _phone: tuple[str, Phone] | None = PrivateAttr(None)

    @field_validator("sender_phone")
    @classmethod
    def _phone_parses(cls, value: str, info: ValidationInfo) -> str:
        normalize_phone(value, _region(info))
        return value

    @model_validator(mode="after")
    def _keep_phone(self, info: ValidationInfo) -> LeadIn:
        region = _region(info)
        self._phone = (region, normalize_phone(self.sender_phone, region))
        return self

    def phone(self, region: str) -> Phone:
        """The sender's phone read for `region`. Kept from validation, so that a lead
        validated in another process (`api.parse_pool`) is not parsed again here."""
        kept = self._kept("_phone")
        if kept is not None and kept[0] == region:
            return kept[1]  # type: ignore[no-any-return]
        return normalize_phone(self.sender_phone, region)

    def _kept(self, name: str) -> Any:
        """A private attribute's value, read from Pydantic's own dict: `self._phone` goes
        through `BaseModel.__getattr__`, about 1.5 us a read (3 % of a batch's server CPU
        in the reads of the phone and the digest); this is 0.05 us."""
        private = self.__pydantic_private__
        return private.get(name) if private else None

    # The digest of what the request says, with the phone key it was computed for.
    _digest: tuple[str, str] | None = PrivateAttr(None)

    def digest(self, phone: Phone) -> str:
        """A digest of what this request says: every field but its time, and the phone as
        its key, so that an identical repeat is recognised. Kept once computed, so that
        a batch's helper processes (`api.parse_pool`) compute it beside validation."""
        kept = self._kept("_digest")
        if kept is not None and kept[0] == phone.key:
            return kept[1]  # type: ignore[no-any-return]
        values = self.model_dump(include=MEANING_FIELDS, exclude_none=True)
        values["phone"] = phone.key
        digest = fingerprint(values)
        self._digest = (phone.key, digest)
        return digest

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


MEANING_FIELDS = frozenset(LeadIn.model_fields) - {"created_at", "sender_phone"}

WIRE_NAMES: dict[str, str] = {
    name: field.alias or name for name, field in LeadIn.model_fields.items()
}


# The fields the POST answer and the lookups share, documented once.
LeadId = Annotated[
    uuid.UUID,
    Field(
        description="Our ID for the lead; read it back with `GET /listingexport/leads/{lead_id}`.",
        examples=[wire.LEAD_ID],
    ),
]
ExternalLeadId = Annotated[
    str | None,
    Field(
        description="Your own ID for the lead, as you sent it in `External_LeadId`; null when "
        "you sent none.",
        examples=["CRM-000123"],
    ),
]
CurrentStatus = Annotated[
    LeadStatus,
    Field(
        description="The lead's status now: `New`, `Contacted` or `Archived`.",
        examples=["Contacted"],
    ),
]
CurrentStage = Annotated[
    Stage,
    Field(
        description="`Lead` until something is known about what the person is looking for, "
        "then `Qualification`.",
        examples=["Qualification"],
    ),
]
ContactId = Annotated[
    uuid.UUID | None,
    Field(
        description="Our ID for the agent's contact for this person; null until the lead is "
        "marked `Contacted`.",
        examples=[wire.CONTACT_ID],
    ),
]
QualificationId = Annotated[
    uuid.UUID | None,
    Field(
        description="Our ID for what the person is looking for (the qualification); null "
        "until a qualification field is sent.",
        examples=[wire.QUALIFICATION_ID],
    ),
]
PublicReference = Annotated[
    str,
    Field(
        description='The public reference of the lead\'s listing, or "None" for a manual lead.',
        examples=["129991025-5"],
    ),
]


class AgentOut(BaseModel):
    """The agent a lead was given to."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    id: uuid.UUID = Field(
        alias="Id", description="Our ID for the agent (a user).", examples=[wire.AGENT_ID]
    )
    username: str = Field(
        alias="Username", description="The agent's user name.", examples=["demo.agent"]
    )


class LeadCore(BaseModel):
    """The fields every answer about a lead starts with."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    lead_id: LeadId = Field(alias="Lead_Id")
    external_id: ExternalLeadId = Field(alias="External_LeadId")
    lead_status: CurrentStatus = Field(alias="Lead_Status")
    stage: CurrentStage = Field(alias="Stage")
    contact_id: ContactId = Field(alias="Contact_Id")
    qualification_id: QualificationId = Field(alias="Qualification_Id")
    agent: AgentOut = Field(
        alias="Agent",
        description="The agent the lead was given to.",
        examples=[wire.example_of(AgentOut)],
    )
    public_reference: PublicReference = Field(alias="Public_Reference")


class LeadOut(LeadCore):
    """What the endpoint answers about the lead a request created or touched."""

    operation: str = Field(
        alias="Operation",
        description="What this request did to the lead: `created`, `updated`, or `unchanged` "
        "(an identical repeat).",
        examples=["created"],
    )
    contact_operation: str | None = Field(
        alias="Contact_Operation",
        description="What this request did to the contact: `created`, `matched` (the agent "
        "already had this person), or null when it did not touch one.",
        examples=["created"],
    )
    warnings: list[str] = Field(
        alias="Warnings",
        description="What was accepted with a caveat, such as an unknown field ignored or a "
        "phone number kept by its digits; empty when nothing was.",
        examples=[["Unknown field Budget ignored"]],
    )
