"""Bulk listing import from CSV or JSON lines: every row judged on its own."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from maxwork_leads.directory import service
from maxwork_leads.errors import InvalidInput

COLUMNS = ("reference", "agency", "agent", "title")


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "rejected": len(self.rejected),
            "errors": [{"row": row, "reason": reason} for row, reason in self.rejected],
        }


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(row number, fields) per row, or (row number, reason) for a row that does not parse.

    JSON lines when the file ends in .jsonl/.ndjson/.json, CSV with a header row otherwise.
    """
    with path.open(encoding="utf-8-sig", newline="") as handle:
        if path.suffix.lower() in {".jsonl", ".ndjson", ".json"}:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except ValueError as exc:
                    yield number, f"not valid JSON: {exc}"
                    continue
                yield number, value if isinstance(value, dict) else "not a JSON object"
        else:
            for number, row in enumerate(csv.DictReader(handle), start=2):
                yield number, {k.strip().lower(): v for k, v in row.items() if k}


def count_rows(path: Path) -> int:
    """Rows to import, for the progress bar; InvalidInput when the file is not UTF-8 text."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            lines = sum(1 for line in handle if line.strip())
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{path.name} is not UTF-8 text: {exc.reason} at byte {exc.start}"
        ) from None
    return lines if path.suffix.lower() in {".jsonl", ".ndjson", ".json"} else max(lines - 1, 0)


def import_listings(
    session: Session, path: Path, on_row: Callable[[], None] = lambda: None
) -> ImportReport:
    """Create or update each listing in its own savepoint, so a bad row never stops the rest."""
    report = ImportReport()
    for number, row in read_rows(path):
        try:
            if isinstance(row, str):
                raise InvalidInput(row)
            missing = [name for name in ("reference", "agency", "agent") if not row.get(name)]
            if missing:
                raise InvalidInput(f"missing {', '.join(missing)}")
            with session.begin_nested():
                _, created = service.save_listing(
                    session,
                    reference=str(row["reference"]),
                    agency_id=str(row["agency"]),
                    agent=str(row["agent"]),
                    title=str(row["title"]) if row.get("title") else None,
                    allow_update=True,
                )
            if created:
                report.created += 1
            else:
                report.updated += 1
        except InvalidInput as exc:
            report.rejected.append((number, exc.message))
        on_row()
    return report
