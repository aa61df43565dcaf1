"""Turning a pipeline answer into an HTTP response."""

from __future__ import annotations

import orjson
from fastapi.responses import Response

from maxwork_leads.api.pipeline import Answer


def respond(answer: Answer) -> Response:
    return Response(
        orjson.dumps(answer.body), answer.status, answer.headers, media_type="application/json"
    )
