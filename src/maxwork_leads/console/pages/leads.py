"""The console's leads section: search leads, and see one lead with its routing and timeline."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import HTMLResponse

from maxwork_leads.console.queries import lead_timeline as one_lead
from maxwork_leads.console.queries import leads as queries
from maxwork_leads.console.queries.leads import BadInput, LeadResults, LeadSearch, Window
from maxwork_leads.console.web import Page, console_page, query_string

router = APIRouter()

# Read per request, so a test can shorten the pages.
PAGE_SIZE = queries.PAGE_SIZE

STATUSES = ("New", "Contacted", "Archived")


@router.get("/leads", response_class=HTMLResponse)
def lead_list(
    page: Annotated[Page, Depends(console_page)],
    name: str = "",
    email: str = "",
    phone: str = "",
    listing: str = "",
    agent: str = "",
    status: str = "",
    before: str = "",
) -> HTMLResponse:
    search = LeadSearch(name, email, phone, listing, agent, status, before)
    error = None
    with page.read() as session:
        try:
            results = queries.search_leads(
                session, search, region=page.services.settings.default_region, limit=PAGE_SIZE
            )
        except BadInput as exc:
            error, results = str(exc), LeadResults(Window([], None, None))
    params = search.params()
    return page.render(
        "leads/list.html",
        400 if error else 200,
        search=search,
        statuses=STATUSES,
        results=results,
        error=error,
        older=page_link(params, results.window.older),
        newer=page_link(params, results.window.newer),
    )


def page_link(params: dict[str, str], before: str | None) -> str | None:
    """The query string of a neighbouring page; None when there is none."""
    if before is None:
        return None
    return query_string({**params, "before": before}) or "before="


@router.get("/leads/{lead_id}", response_class=HTMLResponse)
def lead_page(
    page: Annotated[Page, Depends(console_page)], lead_id: str, before: str = ""
) -> HTMLResponse:
    parsed = _lead_id(lead_id)
    notes = []
    try:
        position = one_lead.parse_position(before)
    except BadInput as exc:
        notes.append(str(exc))
        position = None
    with page.read() as session:
        detail = one_lead.lead_detail(session, parsed)
        if detail is None:
            raise HTTPException(404, f"No lead has the ID {lead_id}.")
        timeline = one_lead.timeline(session, parsed, before=position, limit=PAGE_SIZE)
    return page.render(
        "leads/detail.html",
        detail=detail,
        timeline=timeline,
        notes=notes,
        older=page_link({}, timeline.older),
        newer=page_link({}, timeline.newer),
    )


def _lead_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise HTTPException(404, f"No lead has the ID {text!r}.") from None
