"""The integration history as integrators read it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field

from maxwork_leads import wire_examples as wire
from maxwork_leads.models import IntegrationRequest


class HistoryEntry(BaseModel):
    """One request to the lead endpoints (or one item of a batch), and what it got back."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    id: uuid.UUID = Field(
        alias="Id",
        description="Our ID for this entry; newer entries have greater IDs.",
        examples=[wire.REQUEST_ID],
    )
    received_at: datetime = Field(
        alias="Received_At",
        description="When the request arrived.",
        examples=[wire.CHANGED_AT],
    )
    endpoint: str = Field(
        alias="Endpoint",
        description="Which endpoint was called: `leads` (one lead) or `leads/batch`.",
        examples=["leads"],
    )
    batch_index: int | None = Field(
        alias="Batch_Index",
        description="The item's position in the batch request; null for a single lead.",
        examples=[0],
    )
    status_code: int = Field(
        alias="Status_Code",
        description="The HTTP status the request (or batch item) was answered with.",
        examples=[201],
    )
    outcome: str | None = Field(
        alias="Outcome",
        description="What happened: `created`, `updated`, `unchanged`, `replayed` (an "
        "Idempotency-Key retry) or `error`.",
        examples=["created"],
    )
    lead_id: uuid.UUID | None = Field(
        alias="Lead_Id",
        description="Our ID for the lead the request was about; null when it failed.",
        examples=[wire.LEAD_ID],
    )
    external_id: str | None = Field(
        alias="External_LeadId",
        description="Your own ID for the lead, as the request sent it; null when it had none.",
        examples=["CRM-000123"],
    )
    error_code: str | None = Field(
        alias="Error_Code",
        description="The error's `Code` when the request failed, else null.",
        examples=["unknown_listing"],
    )
    error_message: str | None = Field(
        alias="Error_Message",
        description="The error's `Message` when the request failed, else null.",
        examples=["public_reference: no listing '129991025-5'"],
    )
    idempotency_key: str | None = Field(
        alias="Idempotency_Key",
        description="The `Idempotency-Key` header the request carried, if any.",
        examples=[wire.IDEMPOTENCY_KEY],
    )
    user_agent: str | None = Field(
        alias="User_Agent",
        description="The `User-Agent` header the request carried, if any.",
        examples=["acme-portal-sync/2.3"],
    )
    duration_ms: float | None = Field(
        alias="Duration_Ms",
        description="How long the service took to answer, in milliseconds.",
        examples=[12.5],
    )
    username: str | None = Field(
        None, alias="Username", exclude=True, description="Operators only; never served."
    )
    body: Any = Field(
        alias="Body",
        description="The body as received (JSON), or its text when it was not JSON; "
        "secrets removed.",
        examples=[{"Public_Reference": "129991025-5", "Lead_Status": "New"}],
    )

    @classmethod
    def of(cls, row: IntegrationRequest) -> HistoryEntry:
        return cls(
            id=row.id,
            received_at=row.received_at,
            endpoint=row.endpoint,
            batch_index=row.batch_index,
            status_code=row.status_code,
            outcome=row.outcome,
            lead_id=row.lead_id,
            external_id=row.external_id,
            error_code=row.error_code,
            error_message=row.error_message,
            idempotency_key=row.idempotency_key,
            user_agent=row.user_agent,
            duration_ms=row.duration_ms,
            username=row.username,
            body=_body(row.body),
        )


def _body(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text


class HistoryPage(BaseModel):
    """One page of the integration history."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    entries: list[HistoryEntry] = Field(
        alias="Entries",
        description="The requests, newest first.",
        examples=[[wire.example_of(HistoryEntry)]],
    )
    next_cursor: str | None = Field(
        alias="Next_Cursor",
        description="Pass it as `cursor` for the next (older) page; null on the last page.",
        examples=[wire.REQUEST_ID],
    )
    has_more: bool = Field(
        alias="Has_More",
        description="True when older entries follow on another page.",
        examples=[True],
    )
