"""The console's history section: every request integrators sent, and one request in full."""

from __future__ import annotations

import json
import uuid
from http import HTTPStatus
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import HTMLResponse

from maxwork_leads.api.errors import error_body
from maxwork_leads.console import replay
from maxwork_leads.console.queries import history as queries
from maxwork_leads.console.web import Page, console_page, query_string
from maxwork_leads.integration.scrub import MAX_STORED_BODY, REDACTED
from maxwork_leads.models.base import utcnow

router = APIRouter()

# The console is mounted here; the API lives at the root it is mounted under.
MOUNT = "/console"


@router.get("/history", response_class=HTMLResponse)
def history_list(page: Annotated[Page, Depends(console_page)]) -> HTMLResponse:
    params = page.request.query_params
    values = {name: params.get(name, "") for name in queries.FILTER_NAMES}
    parsed = queries.parse_filters(
        params, region=page.services.settings.default_region, now=utcnow()
    )
    errors = list(parsed.errors)
    try:
        before = queries.parse_before(params.get("before", ""))
    except ValueError:
        before = None
        errors.append("before: not a request ID; start again from the newest page")
    integrator = parsed.filters.integrator
    with page.read() as session:
        integrators = queries.integrators(session)
        named = integrator not in (None, queries.NO_CREDENTIAL, *integrators)
        if named and integrator and not queries.is_integrator(session, integrator):
            errors.append(f"integrator: no credential is named {integrator!r}")
        found = None
        if not errors:
            found = queries.requests_page(
                session, parsed.filters, before=before, limit=queries.PAGE_SIZE
            )
    older = found.older_than if found else None
    return page.render(
        "history/list.html",
        400 if errors else 200,
        values=values,
        inputs={**values, **moment_inputs(parsed.filters)},
        errors=errors,
        integrators=integrators,
        no_credential=queries.NO_CREDENTIAL,
        filters=parsed.filters,
        rows=found.rows if found else [],
        newest=query_string(values) if before is not None else None,
        older=query_string({**values, "before": str(older)}) if older else None,
    )


@router.get("/history/{request_id}", response_class=HTMLResponse)
def history_detail(request_id: str, page: Annotated[Page, Depends(console_page)]) -> HTMLResponse:
    try:
        wanted = uuid.UUID(request_id)
    except ValueError:
        raise HTTPException(404, "There is no request with this ID.") from None
    with page.read() as session:
        detail = queries.request_detail(session, wanted)
    if detail is None:
        raise HTTPException(404, "There is no request with this ID (it may have expired).")
    curl = None
    if detail.body is not None:
        url = page.request.url
        again = replay.replay_of(
            api_root=f"{url.scheme}://{url.netloc}{page.base.removesuffix(MOUNT)}",
            username=detail.username,
            idempotency_key=detail.idempotency_key,
            body=detail.body,
            batch_item=detail.batch_index is not None,
        )
        curl = replay.curl_command(again)
    return page.render(
        "history/detail.html",
        detail=detail,
        body=pretty(detail.body),
        body_clipped=detail.body is not None and len(detail.body) >= MAX_STORED_BODY,
        body_redacted=detail.body is not None and REDACTED in detail.body,
        status_line=status_line(detail.status_code),
        error_sent=error_sent(detail.error_code, detail.error_message),
        curl=curl,
        token_variable=replay.TOKEN_VARIABLE,
    )


def moment_inputs(filters: queries.Filters) -> dict[str, str]:
    """Since and until as `datetime-local` shows them: it cannot show a date alone."""
    shown = {}
    for name, moment in (("since", filters.since), ("until", filters.until)):
        if moment is not None:
            shown[name] = moment.strftime(
                "%Y-%m-%dT%H:%M:%S" if moment.second else "%Y-%m-%dT%H:%M"
            )
    return shown


def pretty(body: str | None) -> str | None:
    """JSON indented for reading; anything that does not parse, as it came."""
    if body is None:
        return None
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body


def status_line(code: int) -> str:
    try:
        return f"HTTP {code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"HTTP {code}"


def error_sent(code: str | None, message: str | None) -> str | None:
    """The error body as the API answered it (the field list is not stored)."""
    if code is None:
        return None
    return json.dumps(error_body(code, message or "", None), indent=2, ensure_ascii=False)
