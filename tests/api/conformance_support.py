"""Steering Schemathesis towards real data: schema hooks, a seeded world, and what was seen.

Without help, generated requests never carry a valid credential nor name a listing that exists,
so only the 401 and 422 answers would be checked. The hooks registered here rewrite a share of
the generated cases; the rest go out as generated.

Schemathesis builds the coverage and example cases while pytest collects, before any fixture
(and so any database row) exists. The hooks therefore write placeholders (`__TOKEN__`,
`__LISTING__`, ...), and `Seeded.resolve` gives a copy of each case with the seeded world's
values, which is what is sent:

* `flatmap_case` (examples and fuzzing): Hypothesis draws, per case, whether it carries the valid
  credential (as `token` or as `Authorization: Bearer`), a wrong user, or whatever was
  generated; for POST, whether the body is anchored on the seeded listing with a valid sender,
  reusing a few `External_LeadId`s and idempotency keys (so updates, replays and 409s happen);
  for the lookups, whether they ask for a seeded lead, `External_LeadId` or cursor.
* `map_case` (every phase): coverage cases get the valid credential unless they probe the
  credential parameters themselves, and the documented example listing reference, which
  does not exist in the test database, becomes the seeded listing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import strategies as st
from requests.structures import CaseInsensitiveDict
from schemathesis import BaseSchema, Case, HookContext, Response
from schemathesis.generation.meta import TestPhase

from tests.api.helpers import ENDPOINT as LEADS
from tests.factories import World, lead_body

LEAD = f"{LEADS}/{{lead_id}}"
BATCH = f"{LEADS}/batch"
HISTORY = "/listingexport/history"
AUTHENTICATED = {
    ("POST", LEADS),
    ("POST", BATCH),
    ("GET", LEADS),
    ("GET", LEAD),
    ("GET", HISTORY),
}
AUTH_PARAMETERS = {"token", "user", "authorization"}
DOCUMENTED_REFERENCE = "129991025-5"
SEEDED_EXTERNAL_IDS = ("conformance-1", "conformance-2")
IDEMPOTENCY_KEYS = ("conformance-key-1", "conformance-key-2")

TOKEN = "__TOKEN__"
USER = "__USER__"
LISTING = "__LISTING__"
AGENT = "__AGENT__"
MANAGER = "__MANAGER__"
LEAD_IDS = ("__LEAD_0__", "__LEAD_1__")
FEED_CURSOR = "__FEED_CURSOR__"
HISTORY_CURSOR = "__HISTORY_CURSOR__"

KEEP: Any = object()  # leave the generated value as it is
DROP: Any = object()  # leave the field out

# Three cases in four carry the valid credential.
AUTH_VARIANTS = ("query", "query", "query", "query", "bearer", "bearer", "generated", "wrong_user")
EMAILS = ("ana.silva@example.com", "Bruno.Costa@Example.org", "  carla@example.net ")
PHONES = ("+351 912 345 678", "912345678", "+44 20 7946 0958", "+351 21 123 4567")
NAMES = ("Ana Silva", "Bruno Costa", "  Carla  ")


@dataclass(frozen=True)
class Seeded:
    """The world the cases are aimed at, and what exists in it before the first case."""

    world: World
    lead_ids: tuple[str, ...]
    feed_cursor: str
    history_cursor: str

    def placeholders(self) -> dict[str, str]:
        world = self.world
        return {
            TOKEN: world.caller.token,
            USER: world.caller.username,
            LISTING: world.listing.public_reference,
            AGENT: str(world.agent.id),
            MANAGER: str(world.manager.id),
            **dict(zip(LEAD_IDS, self.lead_ids, strict=True)),
            FEED_CURSOR: self.feed_cursor,
            HISTORY_CURSOR: self.history_cursor,
        }

    def resolve(self, case: Case) -> Case:
        """A copy of the case with this world's values for the placeholders the hooks wrote.

        A copy: coverage and example cases are built once, at collection, and shared by the
        test's items for each database.
        """
        values = self.placeholders()

        def swap(value: Any) -> Any:
            if isinstance(value, str) and "__" in value:
                for placeholder, real in values.items():
                    value = value.replace(placeholder, real)
            return value

        def swapped(container: Any) -> Any:
            return {name: swap(value) for name, value in container.items()}

        sent = case.derive(
            headers=CaseInsensitiveDict(swapped(case.headers)), query=swapped(case.query)
        )
        sent.path_parameters = swapped(case.path_parameters)
        if isinstance(case.body, dict):
            sent.body = swapped(case.body)
        elif isinstance(case.body, list):
            sent.body = [swapped(item) if isinstance(item, dict) else item for item in case.body]
        return sent

    def is_authenticated(self, case: Case) -> bool:
        """Whether the case carries the valid credential, read as the app reads it."""
        caller = self.world.caller
        token = case.query.get("token")
        scheme, _, value = str(case.headers.get("authorization") or "").partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            token = value.strip()
        return token == caller.token and case.headers.get("user") == caller.username


def seed(app: FastAPI, world: World) -> Seeded:
    """Two leads (the second contacted and qualified), and a feed and a history cursor."""
    client = TestClient(app)
    caller = world.caller
    params, headers = caller.params(), caller.headers()
    reference = world.listing.public_reference
    first = lead_body(Public_Reference=reference, External_LeadId=SEEDED_EXTERNAL_IDS[0])
    second = lead_body(
        Public_Reference=reference,
        External_LeadId=SEEDED_EXTERNAL_IDS[1],
        Sender_Email="bruno.costa@example.org",
        Sender_Phone="+351 913 000 111",
    )
    qualified = {**second, "Lead_Status": "Contacted", "Price_Min": 1000, "LeadType_Id": "1"}
    lead_ids = []
    for body in (first, second, qualified):
        response = client.post(LEADS, params=params, headers=headers, json=body)
        assert response.status_code in (200, 201), response.text
        lead_ids.append(response.json()["Lead_Id"])
    page = client.get(LEADS, params={**params, "limit": 1}, headers=headers)
    entries = client.get(HISTORY, params={**params, "limit": 1}, headers=headers)
    assert page.status_code == entries.status_code == 200, (page.text, entries.text)
    return Seeded(
        world=world,
        lead_ids=tuple(dict.fromkeys(lead_ids)),
        feed_cursor=page.json()["Next_Cursor"],
        history_cursor=entries.json()["Next_Cursor"],
    )


def install_hooks(schema: BaseSchema) -> None:
    """Register, on this schema only, the hooks that aim cases at the seeded world."""

    def map_case(context: HookContext, case: Case) -> Case:
        body = case.body
        if isinstance(body, dict) and body.get("Public_Reference") == DOCUMENTED_REFERENCE:
            case.body = _documented_reference_swapped(body)
        elif isinstance(body, list) and any(
            isinstance(item, dict) and item.get("Public_Reference") == DOCUMENTED_REFERENCE
            for item in body
        ):
            case.body = [_documented_reference_swapped(item) for item in body]
        if _phase(case) is TestPhase.COVERAGE and _operation(case) in AUTHENTICATED:
            probed = _probed_parameter(case)
            if probed not in AUTH_PARAMETERS:
                _authenticate(case, "query")
            if probed != "idempotency-key":
                # An invalid generated key would turn every body the phase varies into a 400.
                case.headers = _with(case.headers, "Idempotency-Key", DROP)
        return case

    def flatmap_case(context: HookContext, case: Case) -> st.SearchStrategy[Case]:
        return _steered(case)

    schema.hook(map_case)
    schema.hook(flatmap_case)


def _documented_reference_swapped(item: Any) -> Any:
    if isinstance(item, dict) and item.get("Public_Reference") == DOCUMENTED_REFERENCE:
        return {**item, "Public_Reference": LISTING}
    return item


@st.composite
def _steered(draw: st.DrawFn, case: Case) -> Case:
    operation = _operation(case)
    if operation in AUTHENTICATED:
        _authenticate(case, draw(st.sampled_from(AUTH_VARIANTS)))
    if operation in {("POST", LEADS), ("POST", BATCH)}:
        if draw(st.sampled_from((True, True, False))):
            if operation[1] == LEADS:
                case.body = draw(_lead_body(case.body))
            else:
                case.body = draw(_batch_body(case.body))
            case.media_type = "application/json"
        key = draw(st.sampled_from((DROP, DROP, KEEP, *IDEMPOTENCY_KEYS)))
        case.headers = _with(case.headers, "Idempotency-Key", key)
    elif operation == ("GET", LEAD):
        lead_id = draw(st.sampled_from((*LEAD_IDS, KEEP)))
        case.path_parameters = _with(case.path_parameters, "lead_id", lead_id)
    elif operation in {("GET", LEADS), ("GET", HISTORY)}:
        cursor = FEED_CURSOR if operation[1] == LEADS else HISTORY_CURSOR
        choices = {
            "External_LeadId": (DROP, DROP, *SEEDED_EXTERNAL_IDS, KEEP),
            "cursor": (DROP, DROP, cursor, KEEP),
        }
        query = case.query
        for name, values in choices.items():
            query = _with(query, name, draw(st.sampled_from(values)))
        case.query = query
    return case


@st.composite
def _lead_body(draw: st.DrawFn, generated: Any) -> dict[str, Any]:
    """The generated body, with what a valid lead needs drawn from values the app accepts."""
    choices: dict[str, tuple[Any, ...]] = {
        "Public_Reference": (LISTING, LISTING, f" {LISTING} ", "None"),
        "Sender_Name": (*NAMES, KEEP),
        "Sender_Email": EMAILS,
        "Sender_Phone": PHONES,
        "Message": ("Is it still available?", KEEP),
        "Lead_Status": ("New", "New", "Contacted", "archived"),
        "External_LeadId": (DROP, *SEEDED_EXTERNAL_IDS, "conformance-3", KEEP),
        "Internal_UserId": (DROP, DROP, AGENT, MANAGER, KEEP),
        "LeadType_Id": (DROP, "1", "Seller", KEEP),
        "Business_TypeId": (DROP, "2", "sale", KEEP),
        "Listing_ClassId": (DROP, "1", KEEP),
        "PropertyType_Id": (DROP, "Apartment", "10", KEEP),
        "Listing_Attributes": (DROP, ["Lift", "51"], [], KEEP),
        "Created_At": (DROP, "2024-05-06T07:08:09Z", "2024-05-06T07:08:09", KEEP),
    }
    body = dict(generated) if isinstance(generated, dict) else {}
    for name, values in choices.items():
        body = _with(body, name, draw(st.sampled_from(values)))
    return body


@st.composite
def _batch_body(draw: st.DrawFn, generated: Any) -> list[Any]:
    """One to three anchored leads, sometimes followed by a generated item as it is."""
    items = list(generated) if isinstance(generated, list) else []
    count = draw(st.integers(min_value=1, max_value=3))
    body: list[Any] = [draw(_lead_body(items[i] if i < len(items) else {})) for i in range(count)]
    if items and draw(st.booleans()):
        body.append(items[0])
    return body


def _with(container: Any, name: str, value: Any) -> Any:
    """A copy of the container with `name` set, left out (DROP) or left as it is (KEEP)."""
    if isinstance(container, CaseInsensitiveDict):
        copy: Any = CaseInsensitiveDict(container)
    else:
        copy = dict(container or {})
    if value is DROP:
        copy.pop(name, None)
    elif value is not KEEP:
        copy[name] = value
    return copy


def _authenticate(case: Case, variant: str) -> None:
    if variant == "generated":
        return
    headers = _with(case.headers, "authorization", DROP)
    query = _with(case.query, "token", TOKEN)
    headers["user"] = USER
    if variant == "bearer":
        query = _with(query, "token", DROP)
        headers["Authorization"] = f"Bearer {TOKEN}"
    elif variant == "wrong_user":
        headers["user"] = f"{USER}-other"
    case.headers = headers
    case.query = query


def _operation(case: Case) -> tuple[str, str]:
    # The operation's, not the request's: coverage probes send other methods too.
    return case.operation.method.upper(), case.operation.path


def _phase(case: Case) -> TestPhase | None:
    return case.meta.phase.name if case.meta is not None else None


def _probed_parameter(case: Case) -> str | None:
    parameter = case.meta.phase.data.parameter if case.meta is not None else None
    return parameter.lower() if isinstance(parameter, str) else None


# What a run must have seen, so that the checks covered the successful paths too.
EXPECTED_STATUSES = {
    f"POST {LEADS}": {200, 201, 401, 422},
    f"POST {BATCH}": {207, 401, 422},
    f"GET {LEADS}": {200, 401, 404},
    f"GET {LEAD}": {200, 401, 404},
    f"GET {HISTORY}": {200, 401},
    "GET /healthz": {200},
    "GET /readyz": {200},
}
MIN_AUTHENTICATED_SHARE = 0.5


@dataclass
class Stats:
    """Status codes of one operation's cases, to report and to prove 2xx were exercised."""

    seeded: Seeded
    failed: bool = False
    statuses: Counter[int] = field(default_factory=Counter)
    authenticated: int = 0
    label: str = ""
    errors: Counter[str] = field(default_factory=Counter)
    phases: Counter[str] = field(default_factory=Counter)

    def record(self, case: Case, response: Response) -> None:
        self.label = " ".join(_operation(case))
        self.statuses[response.status_code] += 1
        self.authenticated += self.seeded.is_authenticated(case)
        self.phases[str(_phase(case))] += 1
        try:
            error = response.json()["Error"]["Code"]
        except (ValueError, KeyError, TypeError):
            error = None
        if error:
            self.errors[f"{response.status_code} {error}"] += 1

    def summary(self) -> str:
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(self.statuses.items()))
        return (
            f"{self.label}: {self.statuses.total()} cases {dict(sorted(self.phases.items()))}, "
            f"{self.authenticated} with the valid credential; statuses {codes}; "
            f"errors {dict(sorted(self.errors.items()))}"
        )

    def assert_paths_exercised(self) -> None:
        if self.failed or not self.label:
            return  # a failing check says more than these would
        expected = EXPECTED_STATUSES.get(self.label)
        assert expected is not None, (
            f"{self.label} is new: aim its cases at the seeded world (AUTHENTICATED, the hooks) "
            "and say here which statuses it must answer"
        )
        assert expected <= set(self.statuses), (
            f"never answered {sorted(expected - set(self.statuses))}"
        )
        method, path = self.label.split(" ", 1)
        if (method, path) in AUTHENTICATED:
            share = self.authenticated / self.statuses.total()
            assert share >= MIN_AUTHENTICATED_SHARE, f"only {share:.0%} authenticated"
