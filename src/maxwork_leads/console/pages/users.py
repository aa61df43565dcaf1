"""The console's users section: agents and lead managers, and the IDs integrators send."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response

from maxwork_leads.console.queries import directory as queries
from maxwork_leads.console.web import Page, console_page, query_string

router = APIRouter()


@router.get("/users", response_class=HTMLResponse)
def user_list(
    page: Annotated[Page, Depends(console_page)],
    q: str = "",
    agency: str = "",
    before: str = "",
    after: str = "",
) -> Response:
    filters = {"q": q.strip(), "agency": agency.strip()}
    found: queries.Slice[queries.UserRow] = queries.Slice([], None, None)
    agency_name = error = None
    status_code = 200
    try:
        search = queries.parse_search(q)
        agency_id = queries.parse_id(agency, "agency")
        window = queries.window(before, after, queries.PAGE_SIZE)
        with page.read() as session:
            if agency_id is not None:
                agency_name = queries.agency_name(session, agency_id)
                if agency_name is None:
                    raise queries.BadQuery(f"no agency with ID {agency_id}")
            found = queries.users(session, q=search, agency_id=agency_id, page=window)
    except queries.BadQuery as exc:
        error, status_code = str(exc), 400
    return page.render(
        "directory/users.html",
        status_code,
        filters=filters,
        agency_name=agency_name,
        found=found,
        error=error,
        older=query_string({**filters, "before": found.older}) if found.older else None,
        newer=query_string({**filters, "after": found.newer}) if found.newer else None,
    )
