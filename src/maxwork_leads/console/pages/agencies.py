"""The console's agencies section: find an agency, its ID, and how big it is."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response

from maxwork_leads.console.queries import directory as queries
from maxwork_leads.console.web import Page, console_page, query_string

router = APIRouter()


@router.get("/agencies", response_class=HTMLResponse)
def agency_list(
    page: Annotated[Page, Depends(console_page)],
    q: str = "",
    before: str = "",
    after: str = "",
) -> Response:
    filters = {"q": q.strip()}
    found: queries.Slice[queries.AgencyRow] = queries.Slice([], None, None)
    error, status_code = None, 200
    try:
        search = queries.parse_search(q)
        window = queries.window(before, after, queries.PAGE_SIZE)
        with page.read() as session:
            found = queries.agencies(session, q=search, page=window)
    except queries.BadQuery as exc:
        error, status_code = str(exc), 400
    return page.render(
        "directory/agencies.html",
        status_code,
        filters=filters,
        found=found,
        error=error,
        older=query_string({**filters, "before": found.older}) if found.older else None,
        newer=query_string({**filters, "after": found.newer}) if found.newer else None,
    )
