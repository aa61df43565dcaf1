"""Helpers for the CLI tests: run the real console script, call the real app."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from maxwork_leads.db import Database
from tests.factories import lead_body

SCRIPT = Path(sys.executable).parent / "maxwork-leads"
ENDPOINT = "/listingexport/leads"


@dataclass(frozen=True)
class Result:
    code: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        data = json.loads(self.stdout)
        assert isinstance(data, dict), self.stdout
        return data


class Cli:
    """Calls the console script with MAXWORK_DATABASE_URL pointing at the test database."""

    def __init__(self, database_url: str, cwd: Path) -> None:
        self.cwd = cwd
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("MAXWORK_")},
            "MAXWORK_DATABASE_URL": database_url,
            "COLUMNS": "250",
        }

    def __call__(self, *args: str, stdin: str | None = None) -> Result:
        proc = subprocess.run(
            [str(SCRIPT), *args],
            input=stdin,
            env=self.env,
            cwd=self.cwd,  # a stray default SQLite file would land here, not in the repo
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def ok(self, *args: str, stdin: str | None = None) -> dict[str, Any]:
        """Run with --json, require exit 0 and return the JSON object printed."""
        result = self(*args, "--json", stdin=stdin)
        assert result.code == 0, f"{args} exited {result.code}: {result.stdout}{result.stderr}"
        return result.json()

    def fails(self, *args: str, stdin: str | None = None) -> str:
        """Run with --json, require exit 1 and return the error message printed."""
        result = self(*args, "--json", stdin=stdin)
        assert result.code == 1, f"{args} exited {result.code}: {result.stdout}{result.stderr}"
        error = result.json()["error"]
        assert isinstance(error, str) and error
        return error


def count(db: Database, model: type[Any]) -> int:
    with db.session_scope() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


class Api:
    """POSTs leads to the real app, each from a different sender so a success is a 201."""

    _senders = itertools.count(1)

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def post_lead(self, username: str, token: str, reference: str) -> int:
        body = lead_body(
            Public_Reference=reference, Sender_Email=f"buyer{next(self._senders)}@example.com"
        )
        response = self.client.post(
            ENDPOINT, params={"token": token}, headers={"user": username}, json=body
        )
        assert response.status_code in {200, 201, 401}, response.text
        return response.status_code
