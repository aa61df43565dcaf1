"""What crosses the wire when integrators read leads back: the lookups and the change feed."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from maxwork_leads import wire_examples as wire
from maxwork_leads.leads import enums
from maxwork_leads.leads.schemas import LeadCore


class ContactOut(BaseModel):
    """The agent's contact for the person who made the enquiry."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    id: uuid.UUID = Field(
        alias="Id", description="Our ID for the contact.", examples=[wire.CONTACT_ID]
    )
    name: str = Field(alias="Name", description="The contact's name.", examples=["Ana Silva"])
    email: str = Field(
        alias="Email",
        description="The contact's email address, lower-cased.",
        examples=["ana.silva@example.com"],
    )
    phone: str = Field(
        alias="Phone",
        description="The contact's phone number in E.164, or its digits only when it could "
        "not be read as a number.",
        examples=["+351912345678"],
    )
    created_at: datetime = Field(
        alias="Created_At",
        description="When the agent's contact was created.",
        examples=[wire.CHANGED_AT],
    )


class QualificationOut(BaseModel):
    """What the person is looking for; a field is null until it has been sent."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    id: uuid.UUID = Field(
        alias="Id", description="Our ID for the qualification.", examples=[wire.QUALIFICATION_ID]
    )
    price_min: float | None = Field(
        alias="Price_Min",
        description="The lowest price the person is interested in.",
        examples=[150000],
    )
    price_max: float | None = Field(
        alias="Price_Max",
        description="The highest price the person is interested in.",
        examples=[250000],
    )
    room_min: int | None = Field(
        alias="Room_Min", description="The fewest rooms the person wants.", examples=[2]
    )
    room_max: int | None = Field(
        alias="Room_Max", description="The most rooms the person wants.", examples=[3]
    )
    area_min: float | None = Field(
        alias="Area_Min",
        description="The smallest area the person wants, in square metres.",
        examples=[70],
    )
    area_max: float | None = Field(
        alias="Area_Max",
        description="The largest area the person wants, in square metres.",
        examples=[120],
    )
    lead_type: str | None = Field(
        alias="LeadType_Id",
        description="Whether the person buys or sells, by name: " + enums.names(enums.LEAD_TYPES),
        examples=["Buyer"],
    )
    business_type: str | None = Field(
        alias="Business_TypeId",
        description="Whether the deal is a sale or a rental, by name: "
        + enums.names(enums.BUSINESS_TYPES),
        examples=["Sale"],
    )
    listing_class: str | None = Field(
        alias="Listing_ClassId",
        description="The class of property, by name: " + enums.names(enums.LISTING_CLASSES),
        examples=["Residential"],
    )
    property_type: str | None = Field(
        alias="PropertyType_Id",
        description="The type of property, by name: " + enums.names(enums.PROPERTY_TYPES),
        examples=["Apartment"],
    )
    attributes: list[str] | None = Field(
        alias="Listing_Attributes",
        description="Features the person wants, by name: " + enums.names(enums.LISTING_ATTRIBUTES),
        examples=[["Lift", "Balcony"]],
    )


class LeadView(LeadCore):
    """A lead as the lookups and the change feed show it."""

    sender_name: str = Field(
        alias="Sender_Name",
        description="The name of the person who made the enquiry.",
        examples=["Ana Silva"],
    )
    sender_email: str = Field(
        alias="Sender_Email",
        description="The enquirer's email address, lower-cased.",
        examples=["ana.silva@example.com"],
    )
    sender_phone: str = Field(
        alias="Sender_Phone",
        description="The enquirer's phone number as it was sent.",
        examples=["+351 912 345 678"],
    )
    message: str = Field(
        alias="Message",
        description="The message of the enquiry that opened the lead.",
        examples=["Is the flat still available?"],
    )
    created_at: datetime = Field(
        alias="Created_At",
        description="When the enquiry was made (`Created_At` as sent, else when it arrived).",
        examples=[wire.ENQUIRED_AT],
    )
    updated_at: datetime = Field(
        alias="Updated_At", description="When the lead last changed.", examples=[wire.CHANGED_AT]
    )
    contact: ContactOut | None = Field(
        alias="Contact",
        description="The agent's contact for this person; null until the lead is marked "
        "`Contacted`.",
        examples=[wire.example_of(ContactOut)],
    )
    qualification: QualificationOut | None = Field(
        alias="Qualification",
        description="What the person is looking for; null until a qualification field is sent.",
        examples=[wire.example_of(QualificationOut)],
    )


class LeadPage(BaseModel):
    """One page of the change feed."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    leads: list[LeadView] = Field(
        alias="Leads",
        description="Your leads that changed after the cursor (or `updated_since`), in the "
        "order their changes were committed.",
        examples=[[wire.example_of(LeadView)]],
    )
    next_cursor: str = Field(
        alias="Next_Cursor",
        description="Pass it as `cursor` to continue; also when Has_More is false, to poll "
        "for later changes.",
        examples=[wire.FEED_CURSOR],
    )
    has_more: bool = Field(
        alias="Has_More",
        description="True when more changes are waiting: ask again at once with `Next_Cursor`.",
        examples=[False],
    )
