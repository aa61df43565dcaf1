"""The console's listings section: find a listing, and import many from a file.

The import runs the CLI's importer on the uploaded file, so a file behaves the same whether
an operator uploads it here or runs `maxwork-leads listing import` on it.
"""

from __future__ import annotations

import csv
import re
import tempfile
from pathlib import Path
from typing import IO, Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from maxwork_leads.console.queries import directory as queries
from maxwork_leads.console.web import Page, console_form, console_page, query_string
from maxwork_leads.directory import importer
from maxwork_leads.directory.importer import ImportReport
from maxwork_leads.errors import InvalidInput

router = APIRouter()

MAX_IMPORT_BYTES = 20 * 1024 * 1024
COPY_CHUNK = 1024 * 1024
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
# A file of nothing but bad rows would make a page too long to read; the counts stay whole.
MAX_ERRORS_SHOWN = 500


class ImportRefused(Exception):
    """An upload that is not imported at all, with the HTTP status that says why."""

    def __init__(self, message: str, status_code: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


@router.get("/listings", response_class=HTMLResponse)
def listing_list(
    page: Annotated[Page, Depends(console_page)],
    q: str = "",
    agency: str = "",
    before: str = "",
    after: str = "",
) -> Response:
    return _list(page, {"q": q, "agency": agency, "before": before, "after": after})


def _list(
    page: Page, params: dict[str, str], status_code: int = 200, **context: Any
) -> HTMLResponse:
    filters = {"q": params.get("q", "").strip(), "agency": params.get("agency", "").strip()}
    found: queries.Slice[queries.ListingRow] = queries.Slice([], None, None)
    agency_name = error = None
    try:
        q = queries.parse_search(filters["q"])
        agency_id = queries.parse_id(filters["agency"], "agency")
        window = queries.window(
            params.get("before", ""), params.get("after", ""), queries.PAGE_SIZE
        )
        with page.read() as session:
            if agency_id is not None:
                agency_name = queries.agency_name(session, agency_id)
                if agency_name is None:
                    raise queries.BadQuery(f"no agency with ID {agency_id}")
            found = queries.listings(session, q=q, agency_id=agency_id, page=window)
    except queries.BadQuery as exc:
        error, status_code = str(exc), max(status_code, 400)
    return page.render(
        "directory/listings.html",
        status_code,
        filters=filters,
        agency_name=agency_name,
        found=found,
        error=error,
        older=query_string({**filters, "before": found.older}) if found.older else None,
        newer=query_string({**filters, "after": found.newer}) if found.newer else None,
        max_import_mib=MAX_IMPORT_BYTES // (1024 * 1024),
        max_errors_shown=MAX_ERRORS_SHOWN,
        **context,
    )


@router.post("/listings/import", response_class=HTMLResponse)
def import_listings(page: Annotated[Page, Depends(console_form)]) -> Response:
    upload = page.form.get("file") if page.form is not None else None
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise ImportRefused("Choose a file to import.")
        report = _import(page, upload)
    except ImportRefused as exc:
        return _list(page, {}, exc.status_code, import_error=exc.message)
    page.audit(
        "listing.import",
        file=upload.filename,
        created=report.created,
        updated=report.updated,
        rejected=len(report.rejected),
    )
    return _list(page, {}, report=report)


def _import(page: Page, upload: UploadFile) -> ImportReport:
    with tempfile.TemporaryDirectory(prefix="maxwork-import-") as folder:
        path = Path(folder) / _local_name(upload.filename or "")
        _save(upload.file, path)
        try:
            if importer.count_rows(path) == 0:
                raise ImportRefused("The file has no rows to import.")
            with page.read() as session:
                return importer.import_listings(session, path)
        except InvalidInput as exc:
            raise ImportRefused(exc.message) from None
        except csv.Error as exc:
            raise ImportRefused(f"The file is not valid CSV: {exc}") from None


def _local_name(filename: str) -> str:
    """The upload's own name, made safe: the importer picks the format by its ending, as
    for the CLI, and names the file in its messages."""
    name = _UNSAFE.sub("_", Path(filename.replace("\\", "/")).name)
    if not name.strip("."):
        return "upload"
    path = Path(name)
    return path.stem[:80] + path.suffix[:20]


def _save(source: IO[bytes], path: Path) -> None:
    """Copy the upload to `path`, refusing an empty one or one over the size limit."""
    source.seek(0)
    size = 0
    with path.open("wb") as target:
        while chunk := source.read(COPY_CHUNK):
            size += len(chunk)
            if size > MAX_IMPORT_BYTES:
                limit = MAX_IMPORT_BYTES // (1024 * 1024)
                raise ImportRefused(f"The file is larger than {limit} MiB; split it up.", 413)
            target.write(chunk)
    if size == 0:
        raise ImportRefused("The file is empty.")
