"""Request-level dependencies: the services, who is calling, and the JSON body."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import Depends, Header, Query, Request

from maxwork_leads.api.pipeline import Call, Services
from maxwork_leads.errors import BodyTooLarge, MalformedJson, UnsupportedMediaType
from maxwork_leads.integration import scrub
from maxwork_leads.models.base import utcnow


def get_services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


ServicesDep = Annotated[Services, Depends(get_services)]


class Caller:
    """The credential claims of a request, taken as sent; checked later, in the pipeline."""

    def __init__(
        self,
        user: Annotated[
            str | None,
            Header(description="The credential's user name.", examples=["demo-portal"]),
        ] = None,
        token: Annotated[
            str | None,
            Query(description="The credential's token (or send `Authorization: Bearer`)."),
        ] = None,
        authorization: Annotated[
            str | None, Header(description="`Bearer <token>`, instead of `token`.")
        ] = None,
        user_agent: Annotated[str | None, Header(include_in_schema=False)] = None,
    ) -> None:
        bearer = None
        if authorization:
            scheme, _, value = authorization.partition(" ")
            if scheme.lower() == "bearer" and value.strip():
                bearer = value.strip()
        self.username = user
        self.token = bearer or token
        self.user_agent = scrub.clean_text(user_agent, 500) if user_agent else None
        self.received_at = utcnow()

    def call(self, endpoint: str, idempotency_key: str | None = None) -> Call:
        return Call(
            endpoint=endpoint,
            username=self.username,
            token=self.token,
            user_agent=self.user_agent,
            idempotency_key=idempotency_key,
            received_at=self.received_at,
        )


CallerDep = Annotated[Caller, Depends()]
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Any unique string (e.g. a UUID): a retry with the same key and body "
        "gets the first response again, with `Idempotent-Replayed: true`; the same key with "
        "another body is a 409. Kept at least 24 hours.",
    ),
]


class BodyRefused(Exception):
    """The body could not be taken: the error to answer and what to keep of the body."""

    def __init__(self, error: Any, kept: str | None) -> None:
        self.error = error
        self.kept = kept


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


async def read_json(request: Request, limit: int, token: str | None) -> Any:
    """The parsed JSON body, or BodyRefused for a wrong type (415), size (413) or syntax (400)."""
    if not _is_json(request.headers.get("content-type", "")):
        raise BodyRefused(UnsupportedMediaType("Content-Type must be application/json"), None)
    too_large = BodyRefused(BodyTooLarge(f"body larger than {limit} bytes"), None)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BodyRefused(
            MalformedJson(f"malformed JSON: {exc}"), scrub.raw_text(bytes(body), token)
        ) from None
