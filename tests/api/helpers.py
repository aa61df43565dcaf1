"""Small helpers for calling the universal endpoint in API tests."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi.testclient import TestClient

from tests.factories import Caller

ENDPOINT = "/listingexport/leads"


def post_lead(client: TestClient, caller: Caller, body: Any, **headers: str) -> httpx.Response:
    return client.post(
        ENDPOINT, params=caller.params(), headers=caller.headers(**headers), json=body
    )


def error_code(response: httpx.Response) -> str:
    return str(response.json()["Error"]["Code"])


def error_fields(response: httpx.Response) -> list[str]:
    return [f["Field"] for f in response.json()["Error"]["Fields"]]
