"""Request-level dependencies: the services, who is calling, and the JSON body."""

from __future__ import annotations

import json
import zlib
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import Depends, Request
from pydantic import AfterValidator

from maxwork_leads import wire_examples as wire
from maxwork_leads.api.pipeline import Call, Services
from maxwork_leads.errors import BodyTooLarge, MalformedJson, UnsupportedMediaType
from maxwork_leads.integration import scrub
from maxwork_leads.models.base import utcnow


def services_of(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


async def get_services(request: Request) -> Services:
    # async, like every dependency here: FastAPI runs a plain `def` dependency in its thread
    # pool, a thread hop per request for what is an attribute read.
    return services_of(request)


ServicesDep = Annotated[Services, Depends(get_services)]


def _plausible_time(value: datetime | None) -> datetime | None:
    """Times far outside any lead's life would overflow when moved to UTC; refuse them."""
    if value is not None and not 1900 <= value.year <= 9998:
        raise ValueError("must be a time between the years 1900 and 9998")
    return value


QueryTime = Annotated[datetime | None, AfterValidator(_plausible_time)]


class Caller:
    """The credential claims of a request, taken as sent; checked later, in the pipeline."""

    def __init__(
        self,
        username: str | None,
        token: str | None,
        user_agent: str | None,
        idempotency_key: str | None = None,
    ) -> None:
        self.username = username
        self.token = token
        self.user_agent = user_agent
        self.idempotency_key = idempotency_key
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


def caller_of(request: Request) -> Caller:
    """The claims, read from the request as `CREDENTIAL_PARAMETERS` document them.

    Read by hand rather than declared as FastAPI parameters: these are plain optional
    strings, and declaring them cost a validation pass per parameter on every request
    of the hot path, more than the rest of the routing together.
    """
    headers = request.headers
    bearer = None
    authorization = headers.get("authorization")
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            bearer = value.strip()
    user_agent = headers.get("user-agent")
    return Caller(
        headers.get("user"),
        bearer or request.query_params.get("token"),
        scrub.clean_text(user_agent, 500) if user_agent else None,
        headers.get("idempotency-key"),
    )


async def get_caller(request: Request) -> Caller:
    return caller_of(request)


CallerDep = Annotated[Caller, Depends(get_caller)]


def _parameter(name: str, where: str, description: str, example: str) -> dict[str, Any]:
    """An optional string parameter, described as FastAPI would describe a declared one."""
    return {
        "name": name,
        "in": where,
        "required": False,
        "schema": {
            "anyOf": [{"type": "string"}, {"type": "null"}],
            "description": description,
            "examples": [example],
            "title": name.title(),
        },
        "description": description,
    }


CREDENTIAL_PARAMETERS = [
    _parameter(
        "token",
        "query",
        "Your credential's secret token. Or send it in an `Authorization: Bearer` header instead.",
        wire.TOKEN,
    ),
    _parameter(
        "user",
        "header",
        "The user name of your credential; it must be the one the token was issued to.",
        "demo-portal",
    ),
    _parameter(
        "authorization",
        "header",
        "`Bearer <token>`: your credential's token, instead of the `token` parameter.",
        f"Bearer {wire.TOKEN}",
    ),
]
IDEMPOTENCY_PARAMETER = _parameter(
    "Idempotency-Key",
    "header",
    "Any unique string (e.g. a UUID): a retry with the same key and body gets the first "
    "response again, with `Idempotent-Replayed: true`; the same key with another body is a "
    "409. Kept at least 24 hours.",
    wire.IDEMPOTENCY_KEY,
)


def documented(*, idempotent: bool = False) -> dict[str, Any]:
    """The `openapi_extra` of a route that takes `CallerDep`: the parameters it reads."""
    extra = [IDEMPOTENCY_PARAMETER] if idempotent else []
    return {"parameters": [*CREDENTIAL_PARAMETERS, *extra]}


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
    """The parsed JSON body, or BodyRefused for a wrong type or encoding (415), size (413)
    or syntax (400). gzip and deflate bodies are accepted; the limit applies after inflating.
    """
    if not _is_json(request.headers.get("content-type", "")):
        raise BodyRefused(UnsupportedMediaType("Content-Type must be application/json"), None)
    too_large = BodyRefused(BodyTooLarge(f"body larger than {limit} bytes"), None)
    inflater = _inflater(request.headers.get("content-encoding", ""))
    declared = request.headers.get("content-length", "")
    if inflater is None and declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += inflater.decompress(chunk, limit + 1 - len(body)) if inflater else chunk
            if len(body) > limit:
                raise too_large
        if inflater is not None:
            body += inflater.flush()
            if not inflater.eof:
                raise zlib.error("truncated stream")
    except zlib.error as exc:
        raise BodyRefused(MalformedJson(f"body does not inflate: {exc}"), None) from None
    return parse_json(bytes(body), token)


def _inflater(encoding: str) -> Any:
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj()
    raise BodyRefused(
        UnsupportedMediaType(f"Content-Encoding {encoding!r} is not supported; use gzip"), None
    )


def parse_json(body: bytes, token: str | None) -> Any:
    """Strict JSON: UTF-8, no NaN or Infinity, no lone surrogates, no duplicate keys."""
    try:
        data = orjson.loads(body)
        if isinstance(data, dict | list):
            _storable(data)
            # orjson keeps the last of two equal keys silently; this decoder sees them all.
            # orjson accepted the body, so it is UTF-8 without a byte order mark.
            _DUPLICATE_CHECK.decode(body.decode())
    except (orjson.JSONDecodeError, DuplicateKey, TooDeep) as exc:
        raise BodyRefused(
            MalformedJson(f"malformed JSON: {exc}"), scrub.raw_text(body, token)
        ) from None
    return data


# orjson reads 1,024 levels of nesting but writes only 254, and every body is written
# (history, activity): a deeper one is refused as it arrives, not failed on the way in.
MAX_DEPTH = 254


class TooDeep(ValueError):
    pass


def _storable(data: Any) -> None:
    """TooDeep unless the body can be written back as JSON (a few us for a batch, in C)."""
    try:
        orjson.dumps(data)
    except TypeError:
        raise TooDeep(f"nested more than {MAX_DEPTH} levels deep") from None


class DuplicateKey(ValueError):
    pass


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # The same name twice leaves its meaning to the parser; refuse rather than guess.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKey(f"duplicate key {key!r}")
        result[key] = value
    return result


# Built once: `json.loads` with a hook builds a decoder per call, half the check's time.
_DUPLICATE_CHECK = json.JSONDecoder(object_pairs_hook=_reject_duplicates)
