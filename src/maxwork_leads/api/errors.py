"""The single error body, and the handlers that turn every failure into it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from maxwork_leads import wire_examples as wire
from maxwork_leads.errors import AppError, FieldError, ValidationFailed
from maxwork_leads.leads import parsing
from maxwork_leads.leads.schemas import WIRE_NAMES

log = logging.getLogger("maxwork_leads.api")

HTTP_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
}


@dataclass(frozen=True)
class ErrorCode:
    """One `Code` the service answers: its HTTP status (None: varies) and when it happens."""

    code: str
    status: int | None
    when: str


ERROR_CODES = (
    ErrorCode(
        "malformed_json",
        400,
        "The body is not strict JSON: UTF-8, no NaN, no duplicate keys, at most 254 levels deep.",
    ),
    ErrorCode(
        "invalid_idempotency_key",
        400,
        "The `Idempotency-Key` header is not 1 to 255 visible ASCII characters.",
    ),
    ErrorCode(
        "unauthorized",
        401,
        "No, invalid or revoked token, or `user` is not the token's owner.",
    ),
    ErrorCode("forbidden", 403, "The credential may not send leads for that listing's agency."),
    ErrorCode("not_found", 404, "No such path, or no such lead visible to this credential."),
    ErrorCode("method_not_allowed", 405, "The path does not take this HTTP method."),
    ErrorCode(
        "idempotency_key_reused",
        409,
        "The `Idempotency-Key` was used before with a different request; use a new key.",
    ),
    ErrorCode(
        "conflict",
        409,
        "A concurrent request with the same `Idempotency-Key` was being saved; retry.",
    ),
    ErrorCode(
        "body_too_large",
        413,
        "The body is over the limit: 1 MiB by default, 16 MiB for a batch.",
    ),
    ErrorCode("unsupported_media_type", 415, "`Content-Type` is not `application/json`."),
    ErrorCode(
        "validation_error",
        422,
        "A field or parameter is invalid; `Fields` names each one.",
    ),
    ErrorCode("unknown_listing", 422, "No listing has that `Public_Reference`."),
    ErrorCode(
        "unknown_user",
        422,
        "`Internal_UserId` is not an active user, or not in the listing's agency.",
    ),
    ErrorCode(
        "no_agent_available",
        422,
        "Nobody to give the lead to: no active listing agent or lead manager, or a manual "
        "lead from a credential for all agencies without `Internal_UserId`.",
    ),
    ErrorCode(
        "invalid_input",
        422,
        "A concurrent request changed the same lead or contact while it was being saved; retry.",
    ),
    ErrorCode("rate_limited", 429, "Too many requests for this credential; see `Retry-After`."),
    ErrorCode("internal_error", 500, "An unexpected failure on our side; it has been logged."),
    ErrorCode("database_unavailable", 503, "The database is not reachable (`GET /readyz`)."),
    ErrorCode("http_error", None, "Any other refusal by the HTTP layer; the status says which."),
)


def _status_text(status: int | None) -> str:
    return str(status) if status is not None else "other"


def error_code_table() -> str:
    """The error codes as a markdown table, for the API description."""
    rows = [f"| {_status_text(e.status)} | `{e.code}` | {e.when} |" for e in ERROR_CODES]
    return "\n".join(["| status | code | when |", "|---|---|---|", *rows])


class FieldErrorOut(BaseModel):
    """One invalid field or parameter."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)
    field: str = Field(
        alias="Field",
        description="The field or parameter at fault, spelled as you sent it; an item of a "
        "list is named with its position (`Listing_Attributes.0`).",
        examples=["Sender_Email"],
    )
    message: str = Field(
        alias="Message",
        description="What is wrong with it.",
        examples=["An email address must have an @-sign."],
    )


class ErrorDetail(BaseModel):
    """An error: its stable code, a message, and the fields at fault."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)
    code: str = Field(
        alias="Code",
        description="Stable and machine-readable: branch on it, not on `Message`. One of "
        + ", ".join(f"`{e.code}` ({_status_text(e.status)})" for e in ERROR_CODES)
        + ".",
        examples=["validation_error"],
    )
    message: str = Field(
        alias="Message",
        description="A human-readable explanation, for logs and people; its wording may change.",
        examples=["invalid fields: Sender_Email: An email address must have an @-sign."],
    )
    fields: list[FieldErrorOut] = Field(
        default_factory=list,
        alias="Fields",
        description="Each invalid field or parameter, for `validation_error` and the other "
        "422 codes; empty for other errors.",
        examples=[[wire.example_of(FieldErrorOut)]],
    )


class ErrorBody(BaseModel):
    """Every error the service answers has this shape."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)
    error: ErrorDetail = Field(
        alias="Error", description="What went wrong.", examples=[wire.example_of(ErrorDetail)]
    )


def error_body(code: str, message: str, fields: list[FieldError] | None = None) -> dict[str, Any]:
    """The single error shape, with fields named as the integrator spells them."""
    return {
        "Error": {
            "Code": code,
            "Message": message,
            "Fields": [
                {"Field": WIRE_NAMES.get(f.field, f.field), "Message": f.message}
                for f in fields or []
            ],
        }
    }


def error_headers(exc: AppError) -> dict[str, str]:
    headers = dict(exc.headers)
    if exc.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return headers


def error_response(
    status: int,
    code: str,
    message: str,
    fields: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body = error_body(code, message, fields)
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


def validation_failed(exc: ValidationError | RequestValidationError) -> ValidationFailed:
    """Pydantic's errors, one per field, named as the integrator spelled the field."""
    return parsing.validation_failed(exc.errors())


def install(app: FastAPI) -> None:
    """Register the handlers that give every failure the single error body."""

    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> Response:
        return error_response(exc.status, exc.code, exc.message, exc.fields, error_headers(exc))

    @app.exception_handler(RequestValidationError)
    async def _request_validation(_: Request, exc: RequestValidationError) -> Response:
        failure = validation_failed(exc)
        return error_response(422, failure.code, failure.message, failure.fields)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> Response:
        code = HTTP_CODES.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail), None, exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "internal error; it has been logged")


RESPONSE_TEXT = {
    400: "Malformed JSON (`malformed_json`), or an invalid Idempotency-Key header "
    "(`invalid_idempotency_key`).",
    401: "No, invalid or revoked token, or `user` is not the token's owner (`unauthorized`).",
    403: "The credential may not send leads for that listing's agency (`forbidden`).",
    404: "Not found, or not visible to this credential (`not_found`).",
    409: "The Idempotency-Key was used before with a different request "
    "(`idempotency_key_reused`), or a concurrent request with the same key was being saved "
    "(`conflict`; retry).",
    413: "Body larger than the limit (`body_too_large`; 1 MiB by default).",
    415: "Content-Type is not application/json (`unsupported_media_type`).",
    422: "Invalid fields (`validation_error`), unknown listing or user (`unknown_listing`, "
    "`unknown_user`), no agent to route to (`no_agent_available`), or a concurrent change "
    "to the same lead (`invalid_input`; retry).",
    429: "Too many requests for this credential (`rate_limited`); see Retry-After.",
    503: "The database is not reachable (`database_unavailable`).",
}
INVALID_PARAMETER = "A parameter is invalid (`validation_error`); `Fields` names it."
INVALID_PARAMETER_OR_CURSOR = (
    "A parameter is invalid, or `cursor` is not one this service issued (`validation_error`); "
    "`Fields` names it."
)


def responses(
    *statuses: int, text: dict[int, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route can answer; `text` rewords some."""
    words = {**RESPONSE_TEXT, **(text or {})}
    return {status: {"model": ErrorBody, "description": words[status]} for status in statuses}
