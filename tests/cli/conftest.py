"""Fixtures for the CLI tests: the console script and the app, on the test database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from maxwork_leads.app import create_app
from maxwork_leads.db import Database
from maxwork_leads.settings import Settings
from tests.cli.helpers import SCRIPT, Api, Cli


@pytest.fixture
def cli(database_url: str, db: Database, tmp_path: Path) -> Cli:
    """The console script on the emptied test database (see `db`)."""
    assert SCRIPT.exists(), f"console script not installed at {SCRIPT}"
    return Cli(database_url, tmp_path)


@pytest.fixture
def api(database_url: str, db: Database) -> Iterator[Api]:
    with TestClient(create_app(Settings(database_url=database_url))) as client:
        yield Api(client)
