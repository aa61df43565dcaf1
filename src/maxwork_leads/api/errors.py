"""The single error body, and the handlers that turn every failure into it."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from maxwork_leads.errors import AppError, FieldError, ValidationFailed
from maxwork_leads.leads.schemas import WIRE_NAMES

log = logging.getLogger("maxwork_leads.api")

HTTP_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
}


class FieldErrorOut(BaseModel):
    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)
    field: str = Field(alias="Field", examples=["Sender_Email"])
    message: str = Field(alias="Message")


class ErrorDetail(BaseModel):
    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)
    code: str = Field(
        alias="Code",
        description="Stable, machine-readable: malformed_json, unauthorized, forbidden, "
        "not_found, body_too_large, unsupported_media_type, validation_error, "
        "unknown_listing, unknown_user, no_agent_available, invalid_idempotency_key, "
        "idempotency_key_reused, rate_limited, internal_error.",
        examples=["validation_error"],
    )
    message: str = Field(alias="Message")
    fields: list[FieldErrorOut] = Field(default_factory=list, alias="Fields")


class ErrorBody(BaseModel):
    """Every error the service answers has this shape."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)
    error: ErrorDetail = Field(alias="Error")


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
    fields = [FieldError(_location(err["loc"]), _message(err)) for err in exc.errors()]
    summary = "; ".join(f"{f.field}: {f.message}" for f in fields[:5])
    return ValidationFailed(f"invalid fields: {summary}", fields)


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "header", "path")]
    return ".".join(parts) or "body"


def _message(err: Any) -> str:
    message = str(err.get("msg", "invalid"))
    return message.removeprefix("Value error, ")


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


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route can answer."""
    text = {
        400: "Malformed JSON, or an invalid Idempotency-Key header.",
        401: "No, invalid or revoked token, or `user` is not the token's owner.",
        403: "The credential may not send leads for that agency.",
        404: "Not found, or not visible to this credential.",
        409: "The Idempotency-Key was used before with a different request.",
        413: "Body larger than the limit (1 MiB by default).",
        415: "Content-Type is not application/json.",
        422: "Invalid fields, unknown listing or user, or no agent to route to.",
        429: "Too many requests for this credential; see Retry-After.",
        503: "The database is not reachable.",
    }
    return {status: {"model": ErrorBody, "description": text[status]} for status in statuses}
