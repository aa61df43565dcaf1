"""The console's contacts section: search agents' contacts, and see one with its leads."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import HTMLResponse

from maxwork_leads.console.pages.leads import page_link
from maxwork_leads.console.queries import contacts as queries
from maxwork_leads.console.queries.leads import BadInput, Window, parse_before
from maxwork_leads.console.web import Page, console_page

router = APIRouter()

# Read per request, so a test can shorten the pages.
PAGE_SIZE = queries.PAGE_SIZE


@router.get("/contacts", response_class=HTMLResponse)
def contact_list(
    page: Annotated[Page, Depends(console_page)],
    name: str = "",
    email: str = "",
    phone: str = "",
    before: str = "",
) -> HTMLResponse:
    search = queries.ContactSearch(name, email, phone, before)
    error = None
    with page.read() as session:
        try:
            window = queries.search_contacts(
                session, search, region=page.services.settings.default_region, limit=PAGE_SIZE
            )
        except BadInput as exc:
            error, window = str(exc), Window([], None, None)
    params = search.params()
    return page.render(
        "contacts/list.html",
        400 if error else 200,
        search=search,
        window=window,
        error=error,
        older=page_link(params, window.older),
        newer=page_link(params, window.newer),
    )


@router.get("/contacts/{contact_id}", response_class=HTMLResponse)
def contact_page(
    page: Annotated[Page, Depends(console_page)], contact_id: str, before: str = ""
) -> HTMLResponse:
    try:
        parsed = uuid.UUID(contact_id)
    except ValueError:
        raise HTTPException(404, f"No contact has the ID {contact_id!r}.") from None
    notes = []
    try:
        position = parse_before(before)
    except BadInput as exc:
        notes.append(str(exc))
        position = None
    with page.read() as session:
        detail = queries.contact_detail(session, parsed, before=position, limit=PAGE_SIZE)
    if detail is None:
        raise HTTPException(404, f"No contact has the ID {contact_id}.")
    return page.render(
        "contacts/detail.html",
        detail=detail,
        notes=notes,
        older=page_link({}, detail.leads.older),
        newer=page_link({}, detail.leads.newer),
    )
