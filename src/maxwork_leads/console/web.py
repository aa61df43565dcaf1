"""What every console page shares: templates, the signed-in operator, forms and CSRF.

Pages are plain `def` handlers (FastAPI runs them in its thread pool) that read through
`Page.read()` and answer with `Page.render()`.
"""

from __future__ import annotations

import hmac
import json
import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from maxwork_leads.api.pipeline import Services
from maxwork_leads.operators import service as operators
from maxwork_leads.operators.service import ActiveSession

# The largest form the console reads (a listing import file is the biggest); checked on the
# declared length before anything is read or spooled.
MAX_FORM_BYTES = 21 * 1024 * 1024
SESSION_COOKIE = "maxwork_console"

audit_log = logging.getLogger("maxwork_leads.console.audit")
LOGIN_CSRF_COOKIE = "maxwork_console_login"

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def _when(value: datetime | None) -> str:
    """Times are shown in UTC, the zone every filter of the console takes."""
    if value is None:
        return "—"
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S")


def _number(value: float | int | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not math.isfinite(value):
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


templates.env.filters["when"] = _when
templates.env.filters["number"] = _number
templates.env.filters["urlquote"] = lambda value: quote(str(value), safe="")


class SignInRequired(Exception):
    """No live session: the browser is sent to the sign-in form and back afterwards."""


class CsrfRejected(Exception):
    """A form came without this session's CSRF token."""


def services_of(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


def base_path(request: Request) -> str:
    """Where the console is mounted ("/console"), so links survive a proxy's prefix too."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def query_string(params: dict[str, Any]) -> str:
    """A query string of the non-empty parameters, for pagination and filter links."""
    kept = {key: value for key, value in params.items() if value not in (None, "")}
    return urlencode(kept)


@dataclass
class Page:
    """One request of a signed-in operator."""

    request: Request
    operator: ActiveSession
    form: FormData | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def services(self) -> Services:
        return services_of(self.request)

    @property
    def base(self) -> str:
        return base_path(self.request)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """One transaction for the page's queries (or its change, committed at the end)."""
        with self.services.database.session_scope() as session:
            yield session

    def field(self, name: str) -> str:
        """A text field of the submitted form ("" when absent)."""
        value = self.form.get(name) if self.form is not None else None
        return value if isinstance(value, str) else ""

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        return render(self.request, template, status_code, operator=self.operator, **context)

    def redirect(self, path: str) -> RedirectResponse:
        return RedirectResponse(self.base + path, status_code=303)

    def audit(self, action: str, **details: Any) -> None:
        """One log line per change an operator makes, saying who did what (never a secret)."""
        audit(self.request, action, operator=self.operator.username, **details)


def audit(request: Request, action: str, **details: Any) -> None:
    client = request.client.host if request.client else None
    entry = {"action": action, **details, "client": client}
    audit_log.info(json.dumps(entry, default=str))


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("operator", None)
    context["base"] = base_path(request)
    context["path"] = request.url.path
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def _session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE)


def current_operator(request: Request) -> ActiveSession:
    token = _session_token(request)
    if not token:
        raise SignInRequired
    with services_of(request).database.session_scope() as session:
        active = operators.active_session(session, token)
    if active is None:
        raise SignInRequired
    return active


def console_page(request: Request) -> Page:
    """Dependency of every page that shows data: the signed-in operator, or sign in first."""
    return Page(request, current_operator(request))


async def console_form(request: Request) -> Page:
    """Dependency of every form handler: signed in, and the form carries the CSRF token."""
    operator = await run_in_threadpool(current_operator, request)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise HTTPException(413, f"The upload is larger than {MAX_FORM_BYTES >> 20} MiB.")
    form = await request.form()
    sent = form.get("csrf_token")
    if not isinstance(sent, str) or not hmac.compare_digest(
        sent.encode(), operator.csrf_token.encode()
    ):
        raise CsrfRejected
    return Page(request, operator, form)
