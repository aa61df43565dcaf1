"""Routes whose endpoint takes the request and answers by itself (`api.plain_route`)."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from fastapi.testclient import TestClient

from maxwork_leads.api import errors
from maxwork_leads.api.plain_route import PlainRoute
from maxwork_leads.errors import ValidationFailed


def test_an_endpoint_that_declares_more_than_the_request_is_refused_at_startup() -> None:
    router = APIRouter(route_class=PlainRoute)

    async def with_query(request: Request, limit: int = 10) -> Response:
        return Response()

    def not_async(request: Request) -> Response:
        return Response()

    for endpoint in (with_query, not_async):
        with pytest.raises(TypeError, match="PlainRoute"):
            router.add_api_route("/x", endpoint, methods=["POST"])


def test_its_errors_reach_the_app_handlers_and_its_response_goes_out_as_built() -> None:
    router = APIRouter(route_class=PlainRoute)

    @router.post("/fail", status_code=201)
    async def fail(request: Request) -> Response:
        raise ValidationFailed.on("Sender_Email", "bad")

    @router.post("/echo", status_code=201)
    async def echo(request: Request) -> Response:
        return Response(await request.body(), 202, {"X-Seen": "1"})

    app = FastAPI()
    errors.install(app)
    app.include_router(router)
    with TestClient(app) as client:
        failed = client.post("/fail", json={})
        echoed = client.post("/echo", content=b"not json at all")
    assert failed.status_code == 422
    assert failed.json()["Error"]["Fields"] == [{"Field": "Sender_Email", "Message": "bad"}]
    assert (echoed.status_code, echoed.content, echoed.headers["X-Seen"]) == (
        202,
        b"not json at all",
        "1",
    )


def test_the_write_endpoints_are_plain_routes() -> None:
    """They read the body themselves, to record even one that fails to parse: FastAPI's
    handler would only add its dependency and body work to every request."""
    from maxwork_leads.api import batch, leads

    plain = {
        (route.path, method)
        for router in (leads.writes, batch.router)
        for route in router.routes
        if isinstance(route, PlainRoute)
        for method in route.methods
    }
    assert plain == {("/listingexport/leads", "POST"), ("/listingexport/leads/batch", "POST")}
