"""Schema conformance: every operation the app documents, fuzzed by Schemathesis against it.

Schemathesis reads the OpenAPI document the app serves (`GET /openapi.json` of `create_app`)
and, for every operation, generates requests: the schema's examples, the coverage phase's
boundary and negative cases, and Hypothesis fuzzing in positive and negative modes. They go
to the running app in process (ASGI, no network), and every response must pass four checks:
not a 5xx, a documented status code, a documented content type, and a body valid against the
documented schema.

Hooks on the schema aim most cases at a seeded world (see `conformance_support`): its valid
credential, its listing, its leads and cursors, so that the 200 and 201 answers are checked
too, not only 401 and 422. A teardown guard fails the test when they stop being exercised.

Runs once per database (the `db` fixture's SQLite and PostgreSQL). Reproducible: Hypothesis
runs derandomized, so CI generates the same cases on every run.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from maxwork_leads.app import create_app
from maxwork_leads.db import Database
from maxwork_leads.settings import Settings
from tests.api.conformance_support import Seeded, Stats, install_hooks, seed
from tests.factories import make_world

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def served_document(app: FastAPI) -> dict[str, Any]:
    response = TestClient(app).get("/openapi.json")
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


# Schemathesis generates the cases while pytest collects, so the document is read then, from
# an app whose database is never touched; the fixture checks each test's app serves the same.
DOCUMENT = served_document(
    create_app(Settings(database_url="sqlite://", redis_url=None, rate_limit_per_second=0))
)
schema = schemathesis.openapi.from_dict(copy.deepcopy(DOCUMENT))
install_hooks(schema)


@dataclass(frozen=True)
class Target:
    app: FastAPI
    seeded: Seeded
    stats: Stats


@pytest.fixture
def target(db: Database) -> Iterator[Target]:
    """The app on the test database, rate limiter off, and the world the cases aim at."""
    app = create_app(db.settings.model_copy(update={"rate_limit_per_second": 0}))
    assert served_document(app) == DOCUMENT
    seeded = seed(app, make_world(db))
    stats = Stats(seeded)
    yield Target(app, seeded, stats)
    app.state.services.database.dispose()
    print(stats.summary())
    stats.assert_paths_exercised()


@schema.parametrize()
@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        # One app and world per operation, shared by its cases, is the point of the fixture.
        HealthCheck.function_scoped_fixture,
        # Every case is a request and a transaction; slow on a loaded CI machine, not wrong.
        HealthCheck.too_slow,
        # Schemathesis discards unsendable values (e.g. non-Latin-1 headers); long bodies
        # (10 000-character messages) are data the schema allows.
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
def test_every_operation_conforms_to_its_schema(case: schemathesis.Case, target: Target) -> None:
    sent = target.seeded.resolve(case)
    response = sent.call(app=target.app)
    target.stats.record(sent, response)
    try:
        sent.validate_response(response, checks=CHECKS)
    except BaseException:
        target.stats.failed = True
        raise
