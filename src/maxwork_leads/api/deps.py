"""Request-level dependencies: settings, database, credentials and the JSON body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import Depends, Header, Query, Request

from maxwork_leads.db import Database
from maxwork_leads.errors import (
    BodyTooLarge,
    MalformedJson,
    Unauthorized,
    UnsupportedMediaType,
    ValidationFailed,
)
from maxwork_leads.settings import Settings


def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_database(request: Request) -> Database:
    return request.app.state.database  # type: ignore[no-any-return]


SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_database)]


@dataclass(frozen=True)
class CredentialHeaders:
    username: str
    token: str
    user_agent: str | None


def credential_headers(
    user: Annotated[
        str | None, Header(description="The credential's username.", examples=["demo-portal"])
    ] = None,
    token: Annotated[
        str | None, Query(description="The credential's token (or send it as a Bearer token).")
    ] = None,
    authorization: Annotated[
        str | None, Header(description="`Bearer <token>`, instead of the token parameter.")
    ] = None,
    user_agent: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> CredentialHeaders:
    """Who claims to be calling; checked against the database inside the request's transaction."""
    bearer = None
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            bearer = value.strip()
    secret = bearer or token
    if not user or not secret:
        raise Unauthorized("missing or invalid token or user")
    return CredentialHeaders(user, secret, user_agent[:500] if user_agent else None)


CredentialHeadersDep = Annotated[CredentialHeaders, Depends(credential_headers)]


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


async def json_object(request: Request, settings: SettingsDep) -> dict[str, Any]:
    """The body as a JSON object, refusing wrong types (415), big bodies (413), bad JSON (400)."""
    if not _is_json(request.headers.get("content-type", "")):
        raise UnsupportedMediaType("Content-Type must be application/json")
    limit = settings.max_body_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"body larger than {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge(f"body larger than {limit} bytes")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise MalformedJson(f"malformed JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValidationFailed.on("body", "must be a JSON object")
    return data


JsonObjectDep = Annotated[dict[str, Any], Depends(json_object)]
