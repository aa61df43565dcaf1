"""Fixtures shared by the API tests."""

from __future__ import annotations

import pytest

from maxwork_leads.api import pipeline
from maxwork_leads.app import create_app
from maxwork_leads.db import Database
from tests.factories import World, make_world


@pytest.fixture
def world(db: Database) -> World:
    """One agency with a lead manager, an agent, a listing and a credential."""
    return make_world(db)


@pytest.fixture
def services(db: Database) -> pipeline.Services:
    """The services of an app on this database, as its endpoints use them."""
    return create_app(db.settings).state.services  # type: ignore[no-any-return]
