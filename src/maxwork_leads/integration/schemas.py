"""The integration history as integrators read it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field

from maxwork_leads.models import IntegrationRequest


class HistoryEntry(BaseModel):
    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    id: uuid.UUID = Field(alias="Id")
    received_at: datetime = Field(alias="Received_At")
    endpoint: str = Field(alias="Endpoint", description="leads or leads/batch.")
    batch_index: int | None = Field(alias="Batch_Index", description="Item index in a batch.")
    status_code: int = Field(alias="Status_Code")
    outcome: str | None = Field(
        alias="Outcome", description="created, updated, unchanged, replayed or error."
    )
    lead_id: uuid.UUID | None = Field(alias="Lead_Id")
    external_id: str | None = Field(alias="External_LeadId")
    error_code: str | None = Field(alias="Error_Code")
    error_message: str | None = Field(alias="Error_Message")
    idempotency_key: str | None = Field(alias="Idempotency_Key")
    user_agent: str | None = Field(alias="User_Agent")
    duration_ms: float | None = Field(alias="Duration_Ms")
    username: str | None = Field(
        None, alias="Username", exclude=True, description="Operators only; never served."
    )
    body: Any = Field(
        alias="Body",
        description="The body as received (JSON), or its text when it was not JSON; "
        "secrets removed.",
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
    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    entries: list[HistoryEntry] = Field(alias="Entries", description="Newest first.")
    next_cursor: str | None = Field(alias="Next_Cursor", description="Null on the last page.")
    has_more: bool = Field(alias="Has_More")
