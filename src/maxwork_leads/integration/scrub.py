"""Keeping secrets out of what is stored about a request."""

from __future__ import annotations

from typing import Any

import orjson

SECRET_KEYS = frozenset({"token", "authorization", "password", "api_key", "apikey"})
MAX_STORED_BODY = 64 * 1024
REDACTED = "[redacted]"


def body_text(body: Any, token: str | None) -> str:
    """The body as JSON text, without secret-looking top-level keys or the caller's token."""
    if isinstance(body, dict):
        body = {k: (REDACTED if k.casefold() in SECRET_KEYS else v) for k, v in body.items()}
    return _clip(orjson.dumps(body).decode(), token)


def payload(body: Any, token: str | None) -> Any:
    """The body as stored with a lead's activity: the same structure, secrets removed."""
    if isinstance(body, dict):
        return {
            k: REDACTED if k.casefold() in SECRET_KEYS else payload(v, token)
            for k, v in body.items()
        }
    if isinstance(body, list):
        return [payload(item, token) for item in body]
    if isinstance(body, str) and token and token in body:
        return body.replace(token, REDACTED)
    return body


def raw_text(raw: bytes, token: str | None) -> str:
    """A body that did not parse, kept as readable text for debugging."""
    return _clip(raw[:MAX_STORED_BODY].decode("utf-8", "replace"), token)


def _clip(text: str, token: str | None) -> str:
    if token:
        text = text.replace(token, REDACTED)
    return text.replace("\x00", "\ufffd")[:MAX_STORED_BODY]


def clean_text(value: str, max_length: int) -> str:
    """A client string made safe to store in any text column."""
    return value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")[:max_length]
