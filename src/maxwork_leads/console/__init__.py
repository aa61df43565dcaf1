"""The operator console: server-rendered pages under /console, part of the same service.

It is its own mounted application, so its HTML error pages, security headers and forms
never touch the API's routes, error bodies or OpenAPI document.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from maxwork_leads.api.pipeline import Services
from maxwork_leads.console.pages import (
    agencies,
    contacts,
    credentials,
    history,
    leads,
    listings,
    login,
    overview,
    users,
)
from maxwork_leads.console.web import CsrfRejected, SignInRequired, base_path, render

log = logging.getLogger("maxwork_leads.console")

# Pages draw only the project's own stylesheet and inline SVG: nothing from another origin,
# no inline script, no inline style.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

SECTIONS = (overview, history, leads, contacts, credentials, listings, agencies, users)


def create_console(services: Services) -> FastAPI:
    console = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    console.state.services = services
    console.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    console.include_router(login.router)
    for section in SECTIONS:
        console.include_router(section.router)

    @console.middleware("http")
    async def _security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response: Response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        if not request.url.path.startswith(base_path(request) + "/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    @console.exception_handler(SignInRequired)
    async def _sign_in(request: Request, _: SignInRequired) -> Response:
        target = request.url.path
        if request.method != "GET":
            target = base_path(request) + "/"
        login_url = request.app.url_path_for("login_form")
        return RedirectResponse(f"{base_path(request)}{login_url}?next={target}", status_code=303)

    @console.exception_handler(CsrfRejected)
    async def _csrf(request: Request, _: CsrfRejected) -> Response:
        return render(
            request,
            "error.html",
            403,
            title="Form expired",
            message="The form was not sent from this console session. Go back, reload the "
            "page and try again.",
        )

    @console.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        titles = {404: "Not found", 405: "Not allowed"}
        return render(
            request,
            "error.html",
            exc.status_code,
            title=titles.get(exc.status_code, "Error"),
            message=str(exc.detail),
        )

    @console.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("console error on %s %s", request.method, request.url.path)
        return render(
            request,
            "error.html",
            500,
            title="Something went wrong",
            message="The error has been logged.",
        )

    return console
