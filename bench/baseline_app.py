"""The FastAPI ceiling: the same body, parsed by the same model, and no database at all.

Served exactly like the service (uvicorn through `maxwork_leads.serving`, which gives
each worker its own listening socket, with the same worker count) and loaded with the same
wrk script as scenario (a), its requests/s is what this machine can do for HTTP + JSON +
Pydantic validation (email and phone checks included) before the service writes anything.
Run by bench/run.py, from the project's root, as:

    .venv/bin/python -m bench.baseline_app --workers W --port P
"""

from __future__ import annotations

import argparse

import orjson
from fastapi import FastAPI, Request, Response
from pydantic import ValidationError

from maxwork_leads import serving
from maxwork_leads.leads.schemas import LeadIn

app = FastAPI(title="maxwork-leads parse-only baseline")

ACCEPTED = orjson.dumps({"Operation": "parsed"})


@app.post("/listingexport/leads")
async def parse_lead(request: Request) -> Response:
    """201 with a small JSON when the body is a valid lead, 422 otherwise; nothing stored."""
    try:
        body = orjson.loads(await request.body())
        lead = LeadIn.model_validate(body, context={"region": "PT"})
    except (orjson.JSONDecodeError, ValidationError) as exc:
        return Response(orjson.dumps({"Error": str(exc)}), 422, media_type="application/json")
    del lead
    return Response(ACCEPTED, 201, media_type="application/json")


@app.get("/readyz")
async def readyz() -> dict[str, str]:
    """Same readiness probe path as the service, so both start the same way."""
    return {"status": "ready"}


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the parse-only baseline.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    options = parser.parse_args()
    serving.run(
        "bench.baseline_app:app",
        host="127.0.0.1",
        port=options.port,
        workers=options.workers,
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
