"""Per-credential rate limits: headers on every response, 429 with Retry-After past the burst."""

from __future__ import annotations

from fastapi.testclient import TestClient

from maxwork_leads.app import create_app
from maxwork_leads.db import Database
from maxwork_leads.integration.ratelimit import Limiter, MemoryStore
from tests.api.helpers import error_code, post_lead
from tests.factories import World, lead_body, make_credential


def client_with(db: Database, rate: float, burst: int) -> TestClient:
    settings = db.settings.model_copy(
        update={"rate_limit_per_second": rate, "rate_limit_burst": burst}
    )
    return TestClient(create_app(settings))


def body_for(world: World, n: int) -> dict[str, object]:
    return lead_body(Public_Reference=world.listing.public_reference, Message=f"m{n}")


def test_every_response_carries_the_limit_headers(db: Database, world: World) -> None:
    with client_with(db, rate=0.001, burst=100) as client:
        response = post_lead(client, world.caller, body_for(world, 0))
        invalid = post_lead(client, world.caller, {"Lead_Status": "New"})
    assert response.headers["RateLimit-Limit"] == "100"
    assert response.headers["RateLimit-Remaining"] == "99"
    assert int(response.headers["RateLimit-Reset"]) >= 1
    assert invalid.status_code == 422
    assert invalid.headers["RateLimit-Remaining"] == "98"


def test_past_the_burst_requests_get_a_429_with_retry_after(db: Database, world: World) -> None:
    with client_with(db, rate=0.5, burst=3) as client:
        statuses = [
            post_lead(client, world.caller, body_for(world, n)).status_code for n in range(5)
        ]
        refused = post_lead(client, world.caller, body_for(world, 9))
    assert statuses == [201, 200, 200, 429, 429]
    assert error_code(refused) == "rate_limited"
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["RateLimit-Remaining"] == "0"


def test_limits_are_per_credential(db: Database, world: World) -> None:
    other = make_credential(db, agency=world.agency)
    with client_with(db, rate=0.5, burst=1) as client:
        assert post_lead(client, world.caller, body_for(world, 0)).status_code == 201
        assert post_lead(client, world.caller, body_for(world, 1)).status_code == 429
        assert post_lead(client, other, body_for(world, 2)).status_code == 200


def test_zero_turns_limiting_off(db: Database, world: World) -> None:
    with client_with(db, rate=0, burst=1) as client:
        responses = [post_lead(client, world.caller, body_for(world, n)) for n in range(4)]
    assert all(r.status_code in (200, 201) for r in responses)
    assert "RateLimit-Limit" not in responses[0].headers


def test_a_credential_override_wins_over_the_setting(db: Database, world: World) -> None:
    from maxwork_leads.credentials import service as credentials

    with db.session_scope() as session:
        credentials.update(session, username=world.caller.username, rate_limit=0)
    with client_with(db, rate=0.5, burst=1) as client:
        statuses = [
            post_lead(client, world.caller, body_for(world, n)).status_code for n in range(3)
        ]
    assert statuses == [201, 200, 200]


def test_the_memory_store_refills_over_time() -> None:
    # A slow refill (one request per 100 ms), so that a busy machine cannot refill the
    # bucket between the three checks.
    limiter = Limiter(MemoryStore(), default_rate=10, burst=2)
    assert limiter.check("k", None).allowed  # type: ignore[union-attr]
    assert limiter.check("k", None).allowed  # type: ignore[union-attr]
    assert not limiter.check("k", None).allowed  # type: ignore[union-attr]
    import time

    time.sleep(0.15)
    assert limiter.check("k", None).allowed  # type: ignore[union-attr]


def test_the_redis_store_limits_and_refills(redis_url: str) -> None:
    import uuid

    from maxwork_leads.integration.ratelimit import RedisStore

    limiter = Limiter(RedisStore(redis_url), default_rate=2, burst=2)
    key = str(uuid.uuid4())
    decisions = [limiter.check(key, None) for _ in range(3)]
    assert [d.allowed for d in decisions] == [True, True, False]  # type: ignore[union-attr]
    assert decisions[2].retry_after > 0  # type: ignore[union-attr]


def test_an_unreachable_redis_lets_requests_through() -> None:
    from maxwork_leads.integration.ratelimit import RedisStore

    limiter = Limiter(RedisStore("redis://127.0.0.1:1/0"), default_rate=1, burst=1)
    assert limiter.check("k", None) is None


def test_the_first_request_leaves_the_whole_burst_but_one() -> None:
    limiter = Limiter(MemoryStore(), default_rate=20, burst=100)
    assert limiter.check("fresh", None).remaining == 99  # type: ignore[union-attr]
