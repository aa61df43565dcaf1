"""`POST /listingexport/leads/batch`: up to 500 leads, one result per item, in order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from maxwork_leads import wire_examples as wire
from maxwork_leads.api import pipeline
from maxwork_leads.api.deps import caller_of, documented, services_of
from maxwork_leads.api.errors import ErrorDetail, error_body, responses
from maxwork_leads.api.lead_work import to_wire
from maxwork_leads.api.parse_pool import ParsePool
from maxwork_leads.api.pipeline import Work
from maxwork_leads.api.plain_route import PlainRoute
from maxwork_leads.api.respond import take_write
from maxwork_leads.credentials import service as credentials
from maxwork_leads.errors import AppError, ValidationFailed
from maxwork_leads.integration import history, scrub
from maxwork_leads.leads import batch
from maxwork_leads.leads import service as leads
from maxwork_leads.leads.parsing import parse_each
from maxwork_leads.leads.schemas import LeadIn, LeadOut
from maxwork_leads.models import Credential

router = APIRouter(tags=["Leads"], route_class=PlainRoute)  # parses and answers by itself


class ItemOut(BaseModel):
    """The result of one item: what `POST /listingexport/leads` would have answered for it."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    index: int = Field(
        alias="Index",
        description="The item's position in the request, from 0.",
        examples=[0],
    )
    status: int = Field(
        alias="Status",
        description="The HTTP status the single endpoint would have answered: 201 created, "
        "200 updated or unchanged, or the error's status.",
        examples=[201],
    )
    body: LeadOut | None = Field(
        None,
        alias="Body",
        description="The lead, as the single endpoint answers it; null when the item failed.",
        examples=[wire.example_of(LeadOut)],
    )
    error: ErrorDetail | None = Field(
        None,
        alias="Error",
        description="Why the item failed, in the usual error shape; null when it succeeded.",
        examples=[None, wire.example_of(ErrorDetail)],
    )


class BatchOut(BaseModel):
    """The result of a batch: one result per item, and the totals."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    results: list[ItemOut] = Field(
        alias="Results",
        description="One result per item, in the order of the request.",
        examples=[[wire.example_of(ItemOut)]],
    )
    created: int = Field(alias="Created", description="How many leads were created.", examples=[1])
    updated: int = Field(alias="Updated", description="How many leads were updated.", examples=[0])
    unchanged: int = Field(
        alias="Unchanged",
        description="How many items were identical repeats and changed nothing.",
        examples=[0],
    )
    failed: int = Field(
        alias="Failed", description="How many items failed; see their `Error`.", examples=[0]
    )


BATCH_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/LeadIn"},
                    "minItems": 1,
                    "maxItems": batch.MAX_ITEMS,
                }
            }
        },
    }
}


@router.post(
    "/listingexport/leads/batch",
    summary="Send up to 500 leads at once",
    description="A JSON array of lead objects, each exactly as for `POST /listingexport/leads`, "
    "applied in order with the same rules. The answer is `207 Multi-Status` with one result "
    "per item: the status code and body (or error) the single endpoint would have answered. "
    "A bad item never fails the others. Each item is one entry in the integration history.",
    status_code=207,
    response_model=BatchOut,
    responses={
        207: {"model": BatchOut, "description": "Every item was judged."},
        **responses(
            400,
            401,
            409,
            413,
            415,
            422,
            429,
            text={
                413: "Body larger than the batch limit (`body_too_large`; 16 MiB by default).",
                422: f"The body is not a JSON array of 1 to {batch.MAX_ITEMS} leads "
                "(`validation_error`); an invalid item fails alone, in its result.",
            },
        ),
    },
    openapi_extra={**BATCH_BODY, **documented(idempotent=True)},
)
async def post_batch(request: Request) -> Response:
    caller, services = caller_of(request), services_of(request)
    call = caller.call("leads/batch", caller.idempotency_key)
    region = services.settings.default_region

    pool: ParsePool | None = request.app.state.parse_pool

    async def work_for(body: Any) -> Work:
        fits = isinstance(body, list) and len(body) <= batch.MAX_ITEMS
        if pool is None or not fits or not await looks_authentic(services, call):
            return BatchWork(call, body, region, None)
        return BatchWork(call, body, region, await pool.parse(body))

    limit = services.settings.max_batch_body_bytes
    return await take_write(request, services, call, limit, work_for)


async def looks_authentic(services: pipeline.Services, call: pipeline.Call) -> bool:
    """Whether the helpers may validate this caller's batch before the pipeline
    authenticates it: only for claims that prove a credential as this process last read it.

    A server process with a write process never authenticates a write itself, so it
    would never have read the credential, and every batch would be validated by the
    write process, the busiest of the three. It reads a credential it has not seen once,
    here (later batches find it remembered); a username that names none is read again
    each time, as the pipeline reads it anyway.
    """
    cache = services.database.directory_cache
    username = call.username
    if username and call.token and cache.last_read(("credential", username)) is None:
        await anyio.to_thread.run_sync(_remember, services, username)
    return credentials.likely_valid(cache, username=username, token=call.token)


def _remember(services: pipeline.Services, username: str) -> None:
    with services.database.session_scope(read_only=True) as session:
        credentials.remember(session, username)


@dataclass(frozen=True)
class BatchWork:
    """What the batch endpoint does with one body once the pipeline has a transaction.
    A value, not a closure, so that it can be sent to the write process."""

    call: pipeline.Call
    body: Any
    region: str
    parsed: list[LeadIn | AppError] | None  # the items, validated already by the helpers

    def __call__(self, session: Session, credential: Credential) -> pipeline.Written:
        body, call = self.body, self.call
        items = parse_items(body, self.region) if self.parsed is None else self.parsed
        received = [
            leads.Received(credential, call.user_agent, scrub.payload(item, call.token))
            for item in body
        ]
        results = batch.ingest_batch(session, items, received, region=self.region)
        return written(results, items, body, call.token)


def parse_items(body: Any, region: str) -> list[LeadIn | AppError]:
    if not isinstance(body, list):
        raise ValidationFailed.on("body", "must be a JSON array of lead objects")
    if not 1 <= len(body) <= batch.MAX_ITEMS:
        raise ValidationFailed.on("body", f"must hold 1 to {batch.MAX_ITEMS} leads")
    return parse_each(body, region)


def written(
    results: list[batch.ItemResult],
    items: list[LeadIn | AppError],
    body: list[Any],
    token: str | None,
) -> pipeline.Written:
    out: list[dict[str, Any]] = []
    entries: list[history.Entry] = []
    counts = {leads.CREATED: 0, leads.UPDATED: 0, leads.UNCHANGED: 0, "failed": 0}
    for result, item, raw in zip(results, items, body, strict=True):
        text = scrub.body_text(raw, token)
        external_id = item.external_id if isinstance(item, LeadIn) else None
        if result.outcome is not None:
            status = 201 if result.outcome.operation == leads.CREATED else 200
            counts[result.outcome.operation] += 1
            out.append({"Index": result.index, "Status": status, "Body": to_wire(result.outcome)})
            entries.append(
                history.Entry(
                    status,
                    result.outcome.operation,
                    lead_id=result.outcome.lead.id,
                    external_id=external_id,
                    body=text,
                    batch_index=result.index,
                )
            )
        else:
            error = result.error
            assert error is not None
            counts["failed"] += 1
            wire_error = error_body(error.code, error.message, error.fields)["Error"]
            out.append({"Index": result.index, "Status": error.status, "Error": wire_error})
            entries.append(
                history.Entry(
                    error.status,
                    "error",
                    error_code=error.code,
                    error_message=error.message[:2000],
                    external_id=external_id,
                    body=text,
                    batch_index=result.index,
                )
            )
    answer = {
        "Results": out,
        "Created": counts[leads.CREATED],
        "Updated": counts[leads.UPDATED],
        "Unchanged": counts[leads.UNCHANGED],
        "Failed": counts["failed"],
    }
    return pipeline.Written(pipeline.Answer(207, answer), entries)
