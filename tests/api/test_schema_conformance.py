"""Schema conformance: every operation the app documents, fuzzed by Schemathesis against it.

The app serves its own OpenAPI document (`/openapi.json` of `create_app`); Schemathesis reads it
and, for every operation, generates requests (the schema's examples, the coverage phase's
boundary and negative cases, and Hypothesis fuzzing in positive and negative modes) that it
sends to the app in process (ASGI, no network). Every response must pass four checks: not a
5xx, a documented status code, a documented content type, and a body valid against the
documented schema.

Random requests alone would only ever see 401 and 422, so hooks on the loaded schema steer the
generated cases towards the real data of a seeded world (see `conformance_support`): most
cases carry its valid credential, most POST bodies name its listing, reuse a few
`External_LeadId`s and idempotency keys, and the lookups ask for leads and cursors that exist.
A teardown guard fails the test if the successful paths stop being exercised.

Reproducible: Hypothesis runs derandomized, so CI generates the same cases on every run.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from maxwork_leads.app import create_app
from maxwork_leads.db import Database
from tests.api.conformance_support import Stats, install_hooks, seed
from tests.factories import make_world

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def conformance_stats() -> Stats:
    return Stats()


@pytest.fixture
def api_schema(db: Database, conformance_stats: Stats) -> Iterator[schemathesis.BaseSchema]:
    """The document the app serves, with hooks that aim cases at a seeded world."""
    app = create_app(db.settings.model_copy(update={"rate_limit_per_second": 0}))
    seeded = seed(app, make_world(db))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    install_hooks(schema, seeded)
    conformance_stats.seeded = seeded
    yield schema
    app.state.services.database.dispose()
    conformance_stats.report()
    conformance_stats.assert_paths_exercised()


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@schema.parametrize()
@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
def test_every_operation_conforms_to_its_schema(
    case: schemathesis.Case, conformance_stats: Stats
) -> None:
    response = case.call()
    conformance_stats.record(case, response)
    try:
        case.validate_response(response, checks=CHECKS)
    except BaseException:
        conformance_stats.failed = True
        raise
